// AdmitBatches without a server: what goes into one call, and how its reply reaches each caller.
// The script's side (a batch decides as the same admissions one by one) runs on a real Redis in
// test/engine-redis-batches.test.ts.
import { describe, expect, it } from 'vitest';
import type { Admission, AdmissionResult, RouteRules } from '../store.js';
import { AdmitBatches, MAX_BATCH, type SendBatch } from './admit-batches.js';
import type { ScriptArgument } from './lua/script.js';
import { rulesArg } from './rules-args.js';

/** The server's clock not measured yet: admissions carry no deadline. */
const NO_OFFSET = (): undefined => undefined;

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const rules: RouteRules = {
  policy: 'p',
  cost: 1,
  plans: { pro: { kind: 'check', windows: [], quotas: [], credits: false, overage: 'block', counters: { windows: [], quotas: [], overage: 'p|overage' } } },
  noPlan: { kind: 'deny', reason: 'not-entitled' },
};
const monthly: RouteRules = {
  ...rules,
  plans: {
    pro: {
      kind: 'check',
      windows: [],
      quotas: [{ unit: 'requests', limit: 10, per: 'month', anchor: 'calendar' }],
      credits: false,
      overage: 'block',
      counters: { windows: [], quotas: ['p|requests'], overage: 'p|overage' },
    },
  },
};
/** An allowed admission's reply on `rules` (no windows, no quotas): outcome 0, the fallback plan, no account record. */
const ALLOWED = [0, 2, null, null, null, null, 0, null, 0, 0, 0];

function admission(account: string, members: Partial<Admission> = {}): Admission {
  return { account, scope: '', fallbackPlan: 'pro', now: NOW, rules, ...members };
}

interface Call {
  readonly keys: readonly string[];
  readonly args: readonly ScriptArgument[];
}

/** A SendBatch that records each call and answers it with `answer`. */
function recorder(answer: (call: Call) => Promise<unknown> = (call) => Promise.resolve(call.keys.map(() => ALLOWED))): { readonly calls: Call[]; readonly send: SendBatch } {
  const calls: Call[] = [];
  return {
    calls,
    send: (keys, args) => {
      const call = { keys, args };
      calls.push(call);
      return answer(call);
    },
  };
}

const admit = (batches: AdmitBatches, account: string, members?: Partial<Admission>): Promise<AdmissionResult> => batches.admit(admission(account, members), `k{${account}}:a`);

describe('AdmitBatches', () => {
  it('sends the admissions of one event-loop turn as one call, in order, and those of a later turn as another', async () => {
    const { calls, send } = recorder();
    const batches = new AdmitBatches(send, false, NO_OFFSET);
    const first = [admit(batches, 'a'), admit(batches, 'b', { scope: 'cred:x y', holdKey: 'hold:1', now: NOW + 1, cost: 40 }), admit(batches, 'a')];
    expect(calls).toHaveLength(0);
    await Promise.all(first);
    await admit(batches, 'c');
    expect(calls.map((c) => c.keys)).toEqual([['k{a}:a', 'k{b}:a', 'k{a}:a'], ['k{c}:a']]);
    // One context (rules text, no month, fallback), then one text per admission: now, context, its own cost, hold key, id, deadline, scope.
    expect(calls[0]?.args).toEqual([1, rulesArg(rules).text, '', '', 'pro', `${NOW} 1     `, `${NOW + 1} 1 40 hold:1   cred:x y`, `${NOW} 1     `]);
  });

  it('sends each rules text, calendar periods and fallback plan once per call', async () => {
    // Only the call matters here: every member answers an error.
    const { calls, send } = recorder((call) => Promise.resolve(call.keys.map(() => new Error('not decided here'))));
    const batches = new AdmitBatches(send, false, NO_OFFSET);
    await Promise.allSettled([admit(batches, 'a'), admit(batches, 'b', { rules: monthly }), admit(batches, 'c', { fallbackPlan: undefined }), admit(batches, 'd', { rules: monthly })]);
    const [count, ...rest] = calls[0]?.args ?? [];
    expect(count).toBe(3);
    const month = { start: Date.UTC(2026, 2, 1), end: Date.UTC(2026, 3, 1) };
    expect(rest).toEqual([
      rulesArg(rules).text, '', '', 'pro',
      rulesArg(monthly).text, String(month.start), String(month.end), 'pro',
      rulesArg(rules).text, '', '', '',
      `${NOW} 1     `, `${NOW} 2     `, `${NOW} 3     `, `${NOW} 2     `,
    ]);
  });

  it(`sends at most ${MAX_BATCH} admissions per call`, async () => {
    const { calls, send } = recorder();
    const batches = new AdmitBatches(send, false, NO_OFFSET);
    await Promise.all(Array.from({ length: 2 * MAX_BATCH + 1 }, (_, i) => admit(batches, `a${i}`)));
    expect(calls.map((c) => c.keys.length)).toEqual([MAX_BATCH, MAX_BATCH, 1]);
  });

  it('on a Cluster, sends one account per call (one slot), each in queue order', async () => {
    const { calls, send } = recorder();
    const batches = new AdmitBatches(send, true, NO_OFFSET);
    await Promise.all(['a', 'b', 'a', 'c', 'b'].map((account) => admit(batches, account)));
    expect(calls.map((c) => c.keys)).toEqual([['k{a}:a', 'k{a}:a'], ['k{b}:a', 'k{b}:a'], ['k{c}:a']]);
  });

  it('gives each admission its own member of the reply: a result, or the error it raised', async () => {
    const { send } = recorder(() => Promise.resolve([ALLOWED, new Error('WRONGTYPE'), ['not', 'a reply']]));
    const batches = new AdmitBatches(send, false, NO_OFFSET);
    const settled = await Promise.allSettled([admit(batches, 'a'), admit(batches, 'b'), admit(batches, 'c')]);
    expect(settled[0]).toMatchObject({ status: 'fulfilled', value: { outcome: 'allowed', plan: 'pro' } });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: new Error('WRONGTYPE') });
    expect(settled[2]).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('unexpected reply from the redis admit script') as unknown } });
  });

  it('fails every admission of a call that failed or answered the wrong number of members, and never sends it again', async () => {
    for (const answer of [() => Promise.reject(new Error('connection lost')), () => Promise.resolve([ALLOWED])]) {
      const { calls, send } = recorder(answer);
      const batches = new AdmitBatches(send, false, NO_OFFSET);
      const settled = await Promise.allSettled([admit(batches, 'a'), admit(batches, 'b')]);
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
      expect(calls).toHaveLength(1);
    }
  });

  it('fails alone, before sending, an admission the script could not read', async () => {
    const { calls, send } = recorder();
    const batches = new AdmitBatches(send, false, NO_OFFSET);
    const tabbed: RouteRules = { ...rules, plans: { 'tab\tplan': { kind: 'deny', reason: 'not-entitled' } } };
    const settled = await Promise.allSettled([admit(batches, 'a', { holdKey: 'hold 1' }), admit(batches, 'b', { rules: tabbed }), admit(batches, 'c'), admit(batches, 'd', { cost: 1.5 }), admit(batches, 'e', { cost: -1 })]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'rejected', 'rejected']);
    expect(calls.map((c) => c.keys)).toEqual([['k{c}:a']]);
  });
});
