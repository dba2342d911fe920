// Settling a hold at the actual cost in the memory store, the reference semantics (store README,
// `completeHold`): less than the estimate gives the difference back, more takes the extra the
// plan's way (quota up to its limit, then billable overage, credits down to −overdraft with the
// rest written off, or a quota counted past its limit under block); once, whatever comes after.
import { describe, expect, it } from 'vitest';
import { HOLD_TTL_MS, type Admission, type OverageMode, type PlanRule, type RouteRules } from '../store.js';
import { MemoryStore } from './memory-store.js';

const NOW = Date.UTC(2026, 4, 12, 9, 0, 0);
const ACCOUNT = 'alice';

function check(rule: { credits?: boolean; overage?: OverageMode; unitsLimit?: number; requestsLimit?: number }): PlanRule {
  const quotas = [
    ...(rule.unitsLimit === undefined ? [] : [{ unit: 'units' as const, limit: rule.unitsLimit, per: 'month' as const, anchor: 'calendar' as const }]),
    ...(rule.requestsLimit === undefined ? [] : [{ unit: 'requests' as const, limit: rule.requestsLimit, per: 'month' as const, anchor: 'calendar' as const }]),
  ];
  return {
    kind: 'check',
    windows: [{ name: 'minute', limit: 1000, ms: 60_000, sliding: false }],
    quotas,
    credits: rule.credits ?? false,
    overage: rule.overage ?? 'block',
    counters: { windows: ['p|60000'], quotas: quotas.map((q) => `p|${q.unit}`), overage: 'p|overage' },
  };
}

function rulesOf(plan: PlanRule, extra: Partial<RouteRules> = {}): RouteRules {
  return { policy: 'p', cost: 1, plans: { plan }, noPlan: { kind: 'deny', reason: 'not-entitled' }, ...extra };
}

function setUp(rules: RouteRules, credits = 0) {
  const store = new MemoryStore({ keepUsage: true });
  if (credits > 0) store.changeCredits(ACCOUNT, { operation: 'grant', amount: credits, now: NOW });
  const admission = (cost: number, holdKey?: string, now = NOW): Admission => ({ account: ACCOUNT, scope: '', fallbackPlan: 'plan', now, rules, cost, ...(holdKey === undefined ? {} : { holdKey }) });
  const hold = (key: string, estimate: number, now = NOW) => store.admit(admission(estimate, key, now));
  const preview = (cost = 0) => store.previewAdmit(admission(cost));
  const billed = () => {
    const totals = { overage: 0, credits: 0 };
    for (const event of store.usage.take()) totals[event.meter] += event.quantity;
    return totals;
  };
  return { store, hold, preview, billed, admit: (cost: number) => store.admit(admission(cost)) };
}

describe('memory store: settling a hold at the actual cost', () => {
  it('draws the actual from credits: the difference given back, or the extra taken down to −overdraft and the rest written off', () => {
    const { store, hold, preview, billed, admit } = setUp(rulesOf(check({ credits: true }), { overdraft: 5 }), 12);
    expect(hold('hold:a', 10)).toMatchObject({ outcome: 'allowed', charged: 10, account: { credits: 2 } });
    expect(store.completeHold(ACCOUNT, 'hold:a', { settle: 4 }, NOW)).toEqual({ kind: 'settled', charged: 4, credits: 4, writtenOff: 0 });
    expect(store.getAccount(ACCOUNT).credits).toBe(8);

    expect(hold('hold:b', 6).outcome).toBe('allowed');
    // 2 left, extra 14: the balance goes to −5 (7 taken), 7 are written off.
    expect(store.completeHold(ACCOUNT, 'hold:b', { settle: 20 }, NOW)).toEqual({ kind: 'settled', charged: 13, credits: 13, writtenOff: 7 });
    expect(store.getAccount(ACCOUNT).credits).toBe(-5);
    expect(billed()).toEqual({ overage: 0, credits: 4 + 13 });

    // Below zero, nothing that costs is admitted; what costs nothing is; grants still add.
    expect(admit(1).outcome).toBe('insufficient-credits');
    expect(preview(1)).toMatchObject({ outcome: 'insufficient-credits', account: { credits: -5 } });
    expect(admit(0).outcome).toBe('allowed');
    expect(store.changeCredits(ACCOUNT, { operation: 'grant', amount: 6, now: NOW })).toEqual({ kind: 'applied', balance: 1 });
    expect(store.changeCredits(ACCOUNT, { operation: 'debit', amount: 2, key: 'd', now: NOW })).toEqual({ kind: 'insufficient', balance: 1 });
    expect(admit(1).outcome).toBe('allowed');
  });

  it('never takes the balance below −overdraft, however often it settles above the estimate', () => {
    const { store, hold } = setUp(rulesOf(check({ credits: true }), { overdraft: 3 }), 4);
    expect(hold('hold:a', 4).outcome).toBe('allowed');
    expect(store.completeHold(ACCOUNT, 'hold:a', { settle: 100 }, NOW)).toEqual({ kind: 'settled', charged: 7, credits: 7, writtenOff: 93 });
    expect(hold('hold:b', 0).outcome).toBe('allowed');
    expect(store.completeHold(ACCOUNT, 'hold:b', { settle: 9 }, NOW)).toEqual({ kind: 'settled', charged: 0, credits: 0, writtenOff: 9 });
    expect(store.getAccount(ACCOUNT).credits).toBe(-3);
  });

  it('counts the actual in a units quota: up to its limit, the rest billable overage (bill)', () => {
    const { store, hold, preview, billed } = setUp(rulesOf(check({ unitsLimit: 100, overage: 'bill' })));
    expect(hold('hold:a', 30).outcome).toBe('allowed');
    expect(store.completeHold(ACCOUNT, 'hold:a', { settle: 120 }, NOW)).toEqual({ kind: 'settled', charged: 120, credits: 0, writtenOff: 0 });
    expect(preview().quotas[0]?.used).toBe(100);
    expect(billed()).toEqual({ overage: 20, credits: 0 });

    // Exhausted at admission: the estimate went to overage, and the settlement brings it down to the actual.
    expect(hold('hold:b', 10)).toMatchObject({ outcome: 'allowed', overage: 10 });
    expect(store.completeHold(ACCOUNT, 'hold:b', { settle: 3 }, NOW)).toMatchObject({ kind: 'settled', charged: 3 });
    expect(billed()).toEqual({ overage: 3, credits: 0 });
    expect(preview().quotas[0]?.used).toBe(100);
  });

  it('gives quota units back when the actual is below the estimate', () => {
    const { store, hold, preview } = setUp(rulesOf(check({ unitsLimit: 100, requestsLimit: 10, overage: 'bill' })));
    expect(hold('hold:a', 50).outcome).toBe('allowed');
    expect(store.completeHold(ACCOUNT, 'hold:a', { settle: 8 }, NOW)).toMatchObject({ kind: 'settled', charged: 8 });
    // Requests are counted per request, whatever the cost (the preview's own request counted in).
    expect(preview().quotas.map((q) => q.used)).toEqual([8, 2]);
  });

  it('under block, counts the extra past the limit so that the next request is refused', () => {
    const { store, hold, admit, preview, billed } = setUp(rulesOf(check({ unitsLimit: 100, overage: 'block' })));
    expect(hold('hold:a', 40).outcome).toBe('allowed');
    expect(store.completeHold(ACCOUNT, 'hold:a', { settle: 130 }, NOW)).toEqual({ kind: 'settled', charged: 130, credits: 0, writtenOff: 0 });
    expect(preview().quotas[0]?.used).toBe(130);
    expect(admit(1).outcome).toBe('quota-exhausted');
    expect(billed()).toEqual({ overage: 0, credits: 0 });
  });

  it('under overage credits, draws what the quota cannot take from credits (down to −overdraft)', () => {
    const { store, hold, preview } = setUp(rulesOf(check({ unitsLimit: 100, overage: 'credits' }), { overdraft: 10 }), 5);
    expect(hold('hold:a', 90).outcome).toBe('allowed');
    // Extra 30: 10 fit the quota, 20 from credits: 5 there, 10 overdraft, 5 written off.
    expect(store.completeHold(ACCOUNT, 'hold:a', { settle: 120 }, NOW)).toEqual({ kind: 'settled', charged: 115, credits: 15, writtenOff: 5 });
    expect(preview()).toMatchObject({ quotas: [{ used: 100 }], account: { credits: -10 } });
  });

  it('leaves rate windows as the admission counted them', () => {
    const { store, hold, preview } = setUp(rulesOf(check({ credits: true })), 100);
    hold('hold:a', 10);
    const before = preview().windows;
    store.completeHold(ACCOUNT, 'hold:a', { settle: 0 }, NOW);
    expect(preview().windows).toEqual(before);
  });

  it('settles once: a second settlement, or one after a commit or after expiry, finds nothing held', () => {
    const { store, hold, billed } = setUp(rulesOf(check({ credits: true })), 100);
    hold('hold:a', 10);
    expect(store.completeHold(ACCOUNT, 'hold:a', { settle: 7 }, NOW).kind).toBe('settled');
    expect(store.completeHold(ACCOUNT, 'hold:a', { settle: 7 }, NOW)).toEqual({ kind: 'nothing-held' });
    hold('hold:b', 10);
    expect(store.completeHold(ACCOUNT, 'hold:b', 'commit', NOW).kind).toBe('committed');
    expect(store.completeHold(ACCOUNT, 'hold:b', { settle: 1 }, NOW)).toEqual({ kind: 'nothing-held' });
    hold('hold:c', 10);
    expect(store.completeHold(ACCOUNT, 'hold:c', { settle: 1 }, NOW + HOLD_TTL_MS)).toEqual({ kind: 'nothing-held' });
    expect(store.getAccount(ACCOUNT).credits).toBe(100 - 7 - 10);
    expect(billed()).toEqual({ overage: 0, credits: 17 });
  });

  it('charges the estimate when a hold expires unsettled under onUnsettled: commit', () => {
    const { store, hold, billed } = setUp(rulesOf(check({ credits: true }), { onUnsettled: 'commit' }), 100);
    hold('hold:a', 25);
    store.changeCredits(ACCOUNT, { operation: 'grant', amount: 1, now: NOW + HOLD_TTL_MS });
    expect(store.getAccount(ACCOUNT).credits).toBe(100 - 25 + 1);
    expect(billed()).toEqual({ overage: 0, credits: 25 });
  });

  it('refuses a settlement or a cost that is no non-negative integer', () => {
    const { store, hold } = setUp(rulesOf(check({ credits: true })), 100);
    hold('hold:a', 1);
    expect(() => store.completeHold(ACCOUNT, 'hold:a', { settle: 1.5 }, NOW)).toThrow(RangeError);
    expect(() => store.completeHold(ACCOUNT, 'hold:a', { settle: -1 }, NOW)).toThrow(RangeError);
    expect(() => hold('hold:b', -2)).toThrow(RangeError);
    expect(store.completeHold(ACCOUNT, 'hold:a', { settle: 1 }, NOW).kind).toBe('settled');
  });

  it('takes an admission\'s own cost in place of the route\'s, in quotas, credits and the preview', () => {
    const { admit, preview } = setUp(rulesOf(check({ credits: true, unitsLimit: 1000 })), 100);
    expect(preview(40)).toMatchObject({ outcome: 'allowed', charged: 40, quotas: [{ used: 40 }] });
    expect(admit(40)).toMatchObject({ outcome: 'allowed', charged: 40, account: { credits: 60 }, quotas: [{ used: 40 }] });
    expect(admit(61).outcome).toBe('insufficient-credits');
  });
});
