import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { Compensations } from './compensations.js';
import type { FollowUpWork } from './follow-up.js';
import { HoldCompleter } from './hold-completion.js';
import { MeteredRoutes } from './metered/metered-routes.js';
import { NO_OBSERVER, type MeteringLog, type Observer } from './ops/observer.js';
import { StoreCalls } from './store-calls.js';
import type { HoldCompletion, HoldResult, HoldSettlement, Store } from './store/store.js';
import { unreachableStore } from './store/test-support/failing-stores.js';
import type { ResponseFacts } from './types.js';

const SETTLED: HoldResult = { kind: 'settled', charged: 17, credits: 17, writtenOff: 0 };

function setUp(chargeOnSuccess: boolean, failures = 0) {
  const completions: (HoldCompletion | HoldSettlement)[] = [];
  const logs: MeteringLog[] = [];
  let failing = failures;
  const store: Store = {
    ...unreachableStore(),
    kind: 'recording',
    completeHold: (_account, _key, completion) => {
      completions.push(completion);
      if (failing-- > 0) return Promise.reject(new Error('connection reset'));
      return typeof completion === 'object' ? SETTLED : { kind: completion === 'commit' ? 'committed' : 'released', credits: 2 };
    },
  };
  const observer: Observer = { ...NO_OBSERVER, metered: (log) => logs.push(log) };
  const clock = new ManualClock(Date.parse('2026-03-10T12:00:00Z'));
  const calls = new StoreCalls(store, 50, observer);
  const compensations = new Compensations('p', calls, clock, observer, 'release');
  const metered = MeteredRoutes.compile({
    version: 1,
    policy: 'p',
    routes: [{ name: 'chat', paths: ['/chat'] }],
    identity: { auth: 'key-auth', limitBy: 'consumer' },
    plans: [],
    consumerPlans: {},
    costs: { metered: { chat: { estimate: 5, header: 'X-Cost' } } },
    store: { kind: 'memory' },
  });
  if (!metered.ok) throw new Error(metered.errors.join('; '));
  const completer = new HoldCompleter({ policy: 'p', chargeOnSuccess, metered: metered.routes }, calls, clock, compensations, observer);
  return { completer, completions, logs, compensations };
}

const hold = { account: 'alice', key: 'hold:1' };
const metered: FollowUpWork = { hold, meter: { route: 'chat', estimate: 5, requestId: 'r-1' } };
const stated = (status: number, header?: string): ResponseFacts => ({ status, ...(header === undefined ? {} : { header }) });

describe('completing a hold', () => {
  it('commits a plain chargeOn success hold below 500 and gives it back from 500, logging no metering', async () => {
    const { completer, completions, logs } = setUp(true);
    expect(await completer.complete({ hold }, 404, undefined)).toEqual({ kind: 'committed', credits: 2 });
    expect(await completer.complete({ hold }, 502, undefined)).toEqual({ kind: 'released', credits: 2 });
    expect(await completer.complete({}, 200, undefined)).toEqual({ kind: 'none' });
    expect(completions).toEqual(['commit', 'release']);
    expect(logs).toEqual([]);
  });

  it('settles a metered hold at the cost the response states', async () => {
    const { completer, completions, logs } = setUp(false);
    expect(await completer.complete(metered, 200, stated(200, '17'))).toEqual(SETTLED);
    expect(completions).toEqual([{ settle: 17 }]);
    expect(logs).toEqual([{ policy: 'p', route: 'chat', requestId: 'r-1', event: 'settled', estimate: 5, settle: 17, upstreamStatus: 200, outcome: 'settled', writtenOff: 0 }]);
  });

  it('settles the estimate when the cost is unreadable or missing, and logs cost-unread', async () => {
    const { completer, completions, logs } = setUp(false);
    await completer.complete(metered, 200, stated(200, '-3'));
    await completer.complete(metered, 200, undefined);
    expect(completions).toEqual([{ settle: 5 }, { settle: 5 }]);
    expect(logs.map((l) => [l.event, l.settle])).toEqual([['cost-unread', 5], ['cost-unread', 5]]);
  });

  it('gives a metered hold back on a 5xx under chargeOn success only', async () => {
    const onSuccess = setUp(true);
    await onSuccess.completer.complete(metered, 503, stated(503, '9'));
    expect(onSuccess.completions).toEqual(['release']);
    expect(onSuccess.logs.map((l) => [l.event, l.settle])).toEqual([['released', undefined]]);
    const onRequest = setUp(false);
    await onRequest.completer.complete(metered, 503, stated(503, '9'));
    expect(onRequest.completions).toEqual([{ settle: 9 }]);
  });

  it('sends a failed settlement again with the same amount', async () => {
    const { completer, completions, logs, compensations } = setUp(false, 1);
    expect(await completer.complete(metered, 200, stated(200, '17'))).toEqual({ kind: 'failed', error: 'connection reset' });
    await compensations.drained();
    expect(completions).toEqual([{ settle: 17 }, { settle: 17 }]);
    expect(logs.map((l) => [l.outcome, l.error])).toEqual([['failed', 'connection reset']]);
  });
});
