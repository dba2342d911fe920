import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from './clock.js';
import type { EngineConfig } from './config/engine-config.js';
import { createEngine, DEGRADED_HEADER, type Engine } from './engine.js';
import { createMemoryStore } from './store/memory/memory-store.js';
import type { Admission, Store } from './store/store.js';
import { hangingStore, unreachableStore } from './store/test-support/failing-stores.js';
import type { RequestFacts } from './types.js';

const config = (store: EngineConfig['store']): EngineConfig => ({
  version: 1,
  policy: 'p',
  routes: [
    { name: 'open', paths: ['/open'] },
    { name: 'paid', paths: ['/paid'] },
  ],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [{ name: 'free', plan: { routes: ['open'] } }, { name: 'pro', plan: {} }],
  defaultPlan: 'free',
  consumerPlans: {},
  costs: { chargeOn: 'success' },
  store,
});

const facts = (path: string, extra: Partial<RequestFacts> = {}): RequestFacts => ({
  method: 'GET',
  path,
  headers: {},
  query: {},
  clientIp: '192.0.2.1',
  consumer: { username: 'alice' },
  ...extra,
});

function engineOf(cfg: EngineConfig, store: Store, clock: Clock = new ManualClock(0)): Engine {
  const compiled = createEngine(cfg, store, clock);
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.engine;
}

describe('failure mode', () => {
  it('fails open within the timeout when the store hangs', async () => {
    const engine = engineOf(config({ kind: 'memory', timeoutMs: 30 }), hangingStore());
    const started = performance.now();
    const decision = await engine.decide(facts('/open'));
    expect(performance.now() - started).toBeLessThan(500);
    expect(decision.kind).toBe('allow');
    expect(decision.kind === 'allow' && decision.responseHeaders[DEGRADED_HEADER]).toBe('store-unavailable');
    expect(decision.log).toMatchObject({ decision: 'allow', degraded: 'open', error: 'store did not answer within 30 ms' });
  });

  it('fails closed with 503 within the timeout when the store hangs', async () => {
    const engine = engineOf(config({ kind: 'memory', timeoutMs: 30, onFailure: 'closed' }), hangingStore());
    const decision = await engine.decide(facts('/open'));
    expect(decision).toMatchObject({ kind: 'deny', status: 503, reason: 'store-unavailable', log: { degraded: 'closed' } });
  });

  it('turns a throwing clock into the failure-mode decision, never an exception', async () => {
    const broken: Clock = {
      now: () => {
        throw new Error('clock file missing');
      },
    };
    const engine = engineOf(config({ kind: 'memory', onFailure: 'closed' }), createMemoryStore(), broken);
    expect(await engine.decide(facts('/open'))).toMatchObject({ kind: 'deny', status: 503, log: { error: 'clock file missing' } });
  });

  it('reports a failed completion instead of rejecting', async () => {
    const engine = engineOf(config({ kind: 'memory' }), unreachableStore());
    const hold = { id: JSON.stringify({ hold: { account: 'alice', key: 'hold:x' } }) };
    expect(await engine.complete(hold, 502)).toEqual({ hold: { kind: 'failed', error: 'connect ECONNREFUSED 127.0.0.1:6379' }, payment: { kind: 'none' }, headers: {} });
    expect(await engine.complete(hold, 200)).toMatchObject({ hold: { kind: 'failed' } });
    for (const id of ['garbage', '[]', '{}', '{"hold":{"account":1}}']) {
      expect(await engine.complete({ id }, 200)).toEqual({ hold: { kind: 'failed', error: 'not a follow-up of this engine' }, payment: { kind: 'none' }, headers: {} });
    }
  });
});

describe("the caller's deadline (answerBy)", () => {
  /** A memory store that reports itself as Redis (so admissions failing closed carry ids and deadlines) and records them. */
  const recordingStore = (admissions: Admission[]): Store => {
    const memory = createMemoryStore();
    return new Proxy(memory, {
      get(target, name) {
        if (name === 'kind') return 'redis';
        if (name === 'admit') return (admission: Admission) => { admissions.push(admission); return target.admit(admission); };
        const value: unknown = Reflect.get(target, name);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  };

  it('failing closed, the admission deadline is the sooner of the engine timeout and the caller deadline', async () => {
    const admissions: Admission[] = [];
    const engine = engineOf(config({ kind: 'memory', timeoutMs: 5000, onFailure: 'closed' }), recordingStore(admissions));
    const before = Date.now();
    await engine.decide(facts('/open'), before + 100);
    await engine.decide(facts('/open'), before + 60_000);
    await engine.decide(facts('/open'));
    const after = Date.now();
    const [capped, later, none] = admissions.map((a) => a.deadline ?? NaN);
    expect(capped).toBe(before + 100);
    for (const own of [later, none]) {
      expect(own).toBeGreaterThanOrEqual(before + 5000);
      expect(own).toBeLessThanOrEqual(after + 5000);
    }
  });

  it('failing open, admissions carry no deadline whatever the caller says', async () => {
    const admissions: Admission[] = [];
    const engine = engineOf(config({ kind: 'memory', timeoutMs: 5000 }), recordingStore(admissions));
    await engine.decide(facts('/open'), Date.now() + 100);
    expect(admissions.map((a) => a.deadline)).toEqual([undefined]);
  });
});

describe('routes', () => {
  it('matches method, path and host when the gateway gives no route, and trusts the route it gives', async () => {
    const engine = engineOf(config({ kind: 'memory' }), createMemoryStore());
    expect(await engine.decide(facts('/paid'))).toMatchObject({ kind: 'deny', status: 402, reason: 'plan-upgrade-required', log: { route: 'paid' } });
    expect(await engine.decide(facts('/paid', { route: 'open' }))).toMatchObject({ kind: 'allow', log: { route: 'open', plan: 'free' } });
  });
});

describe('decision log', () => {
  it('names policy, consumer, route, plan, reason, status and cost', async () => {
    const engine = engineOf(config({ kind: 'memory' }), createMemoryStore());
    expect((await engine.decide(facts('/open'))).log).toEqual({ policy: 'p', consumer: 'alice', route: 'open', plan: 'free', decision: 'allow', reason: 'allowed', status: 200, cost: 1 });
  });
});
