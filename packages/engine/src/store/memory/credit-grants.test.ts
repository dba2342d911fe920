// Expiring credit grants in the memory store, the reference semantics (store README, "Expiring
// grants"): the balance is the total; spends take soonest-expiring first, then the permanent part;
// at expiry what is left of a grant leaves the balance once; give-backs return to the grants they
// came from while those are open, never to one that expired.
import { describe, expect, it } from 'vitest';
import { HOLD_TTL_MS, MAX_OPEN_GRANTS, type Admission, type PlanRule, type RouteRules } from '../store.js';
import { MemoryStore } from './memory-store.js';

const NOW = Date.UTC(2026, 4, 12, 9, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ACCOUNT = 'alice';

const DRAWS_CREDITS: PlanRule = { kind: 'check', windows: [], quotas: [], credits: true, overage: 'block', counters: { windows: [], quotas: [], overage: 'p|overage' } };

function setUp(extra: Partial<RouteRules> = {}) {
  const store = new MemoryStore({ keepUsage: true });
  const rules: RouteRules = { policy: 'p', cost: 1, plans: { plan: DRAWS_CREDITS }, noPlan: { kind: 'deny', reason: 'not-entitled' }, ...extra };
  const admission = (cost: number, now: number, holdKey?: string): Admission => ({ account: ACCOUNT, scope: '', fallbackPlan: 'plan', now, rules, cost, ...(holdKey === undefined ? {} : { holdKey }) });
  return {
    store,
    grant: (amount: number, expiresAt?: number, now = NOW, key?: string) =>
      store.changeCredits(ACCOUNT, { operation: 'grant', amount, now, ...(expiresAt === undefined ? {} : { expiresAt }), ...(key === undefined ? {} : { key }) }),
    admit: (cost: number, now = NOW) => store.admit(admission(cost, now)),
    hold: (key: string, cost: number, now = NOW) => store.admit(admission(cost, now, key)),
    preview: (cost: number, now: number) => store.previewAdmit(admission(cost, now)),
    account: () => store.getAccount(ACCOUNT),
    billedCredits: () => store.usage.take().reduce((sum, event) => sum + (event.meter === 'credits' ? event.quantity : 0), 0),
  };
}

describe('memory store: expiring credit grants', () => {
  it('spends the soonest-expiring grant first, then the next, then the permanent part', () => {
    const { grant, admit, account } = setUp();
    grant(100);
    expect(grant(30, NOW + 2 * HOUR)).toEqual({ kind: 'applied', balance: 130 });
    expect(grant(20, NOW + HOUR)).toEqual({ kind: 'applied', balance: 150 });
    expect(account().grants).toEqual([{ amount: 20, expiresAt: NOW + HOUR }, { amount: 30, expiresAt: NOW + 2 * HOUR }]);
    expect(admit(25)).toMatchObject({ outcome: 'allowed', charged: 25, account: { credits: 125, grants: [{ amount: 0, expiresAt: NOW + HOUR }, { amount: 25, expiresAt: NOW + 2 * HOUR }] } });
    expect(admit(40).account).toEqual({ credits: 85, grants: [{ amount: 0, expiresAt: NOW + HOUR }, { amount: 0, expiresAt: NOW + 2 * HOUR }] });
  });

  it('takes what is left of a grant out of the balance at its expiry, once, and answers the preview the same way', () => {
    const { grant, admit, preview, account } = setUp();
    grant(10);
    grant(50, NOW + HOUR);
    admit(20);
    expect(preview(0, NOW + HOUR).account).toEqual({ credits: 10 });
    expect(account()).toEqual({ credits: 40, grants: [{ amount: 30, expiresAt: NOW + HOUR }] });
    expect(admit(0, NOW + HOUR).account).toEqual({ credits: 10 });
    expect(admit(0, NOW + 2 * HOUR).account).toEqual({ credits: 10 });
    expect(admit(11, NOW + 2 * HOUR).outcome).toBe('insufficient-credits');
  });

  it('gives a released hold back to the grants it took from while they are open; an expired part is lost, not billed', () => {
    const { store, grant, hold, account, billedCredits } = setUp();
    grant(5);
    grant(10, NOW + 5 * MINUTE);
    grant(10, NOW + 3 * HOUR);
    expect(hold('h:1', 22).charged).toBe(22);
    // The first grant expired with nothing left; the hold's 10 from it are not given back.
    expect(store.completeHold(ACCOUNT, 'h:1', 'release', NOW + 10 * MINUTE)).toEqual({ kind: 'released', credits: 12 });
    expect(account()).toEqual({ credits: 15, grants: [{ amount: 10, expiresAt: NOW + 3 * HOUR }] });
    expect(billedCredits()).toBe(0);
  });

  it('settles lower by giving back the last taken first (permanent, then the latest-expiring parts), and higher by drawing soonest-expiring first', () => {
    const { store, grant, hold, account, billedCredits } = setUp({ overdraft: 3 });
    grant(4);
    grant(6, NOW + HOUR);
    grant(6, NOW + 2 * HOUR);
    hold('h:1', 14); // 6 from the first grant, 6 from the second, 2 permanent
    expect(store.completeHold(ACCOUNT, 'h:1', { settle: 5 }, NOW)).toEqual({ kind: 'settled', charged: 5, credits: 5, writtenOff: 0 });
    expect(account()).toEqual({ credits: 11, grants: [{ amount: 1, expiresAt: NOW + HOUR }, { amount: 6, expiresAt: NOW + 2 * HOUR }] });
    hold('h:2', 1);
    // Extra 13 with 10 left: the grants (0 + 6) first, then the permanent part 4 down to −3; 0 written off.
    expect(store.completeHold(ACCOUNT, 'h:2', { settle: 14 }, NOW)).toEqual({ kind: 'settled', charged: 14, credits: 14, writtenOff: 0 });
    expect(account()).toEqual({ credits: -3, grants: [{ amount: 0, expiresAt: NOW + HOUR }, { amount: 0, expiresAt: NOW + 2 * HOUR }] });
    expect(billedCredits()).toBe(19);
  });

  it('pays the permanent part’s debt first with credits added to a grant, so no grant is worth more than the balance', () => {
    const { store, grant, hold, account } = setUp({ overdraft: 10 });
    grant(5, NOW + HOUR);
    hold('h:1', 5);
    hold('h:2', 0);
    store.completeHold(ACCOUNT, 'h:2', { settle: 8 }, NOW);
    expect(account().credits).toBe(-8);
    // h:1's 5 go back to its grant, which first pays the debt: the grant keeps nothing.
    store.completeHold(ACCOUNT, 'h:1', 'release', NOW);
    expect(account()).toEqual({ credits: -3, grants: [{ amount: 0, expiresAt: NOW + HOUR }] });
    expect(grant(10, NOW + HOUR)).toEqual({ kind: 'applied', balance: 7 });
    expect(account().grants).toEqual([{ amount: 7, expiresAt: NOW + HOUR }]);
    // Expiring takes exactly the grant's 7: the balance comes back to the permanent 0, never below.
    expect(store.changeCredits(ACCOUNT, { operation: 'debit', amount: 1, key: 'd', now: NOW + HOUR })).toEqual({ kind: 'insufficient', balance: 0 });
  });

  it('debits soonest-expiring first and expires held grants before expired holds are given back', () => {
    const { store, grant, hold, account } = setUp();
    grant(3, NOW + HOUR);
    grant(3, NOW + HOUR_PAST_HOLD);
    hold('h:1', 4);
    expect(store.changeCredits(ACCOUNT, { operation: 'debit', amount: 2, key: 'd', now: NOW })).toEqual({ kind: 'applied', balance: 0 });
    // The hold expires after the first grant did: its 3 from that grant are lost, its 1 from the second come back.
    expect(store.changeCredits(ACCOUNT, { operation: 'refund', amount: 1, key: 'r', now: NOW + HOLD_TTL_MS + HOUR })).toEqual({ kind: 'applied', balance: 2 });
    expect(account()).toEqual({ credits: 2, grants: [{ amount: 1, expiresAt: NOW + HOUR_PAST_HOLD }] });
  });

  it('gives a refund naming a debit back to the grants that debit took from while open, last taken first; the rest is permanent', () => {
    const { store, grant, account } = setUp();
    const refund = (amount: number, key: string, debitKey: string, now = NOW) => store.changeCredits(ACCOUNT, { operation: 'refund', amount, key, debitKey, now });
    grant(5);
    grant(10, NOW + HOUR);
    expect(store.changeCredits(ACCOUNT, { operation: 'debit', amount: 12, key: 'd', now: NOW })).toEqual({ kind: 'applied', balance: 3 });
    // The debit took 10 from the grant, 2 permanent: those 2 come back first, then 2 to the grant.
    expect(refund(4, 'r1', 'd')).toEqual({ kind: 'applied', balance: 7 });
    expect(account().grants).toEqual([{ amount: 2, expiresAt: NOW + HOUR }]);
    expect(refund(4, 'r1', 'd')).toEqual({ kind: 'duplicate', balance: 7 });
    expect(refund(4, 'r1', 'other')).toEqual({ kind: 'conflict', balance: 7 });
    // After the grant expired (its 2 leave), the debit's 8 left from it are lost; the 2 beyond the debit are permanent.
    expect(refund(10, 'r2', 'd', NOW + HOUR)).toEqual({ kind: 'applied', balance: 5 + 2 });
    expect(account()).toEqual({ credits: 7 });
    expect(refund(1, 'r3', 'd', NOW + HOUR)).toEqual({ kind: 'applied', balance: 8 });
    expect(refund(1, 'r4', 'nothing', NOW + HOUR)).toEqual({ kind: 'no-such-debit', balance: 8 });
    expect(refund(1, 'r5', 'r1', NOW + HOUR)).toEqual({ kind: 'no-such-debit', balance: 8 });
    expect(() => store.changeCredits(ACCOUNT, { operation: 'grant', amount: 1, debitKey: 'd', now: NOW })).toThrow(RangeError);
  });

  it(`keeps at most ${MAX_OPEN_GRANTS} open grants, one per expiry, and checks a grant key's expiry too`, () => {
    const { store, grant } = setUp();
    for (let i = 1; i <= MAX_OPEN_GRANTS; i++) expect(grant(1, NOW + i * HOUR).kind).toBe('applied');
    expect(grant(1, NOW + 100 * HOUR)).toEqual({ kind: 'too-many-grants', balance: MAX_OPEN_GRANTS });
    expect(grant(1, NOW + HOUR)).toEqual({ kind: 'applied', balance: MAX_OPEN_GRANTS + 1 });
    expect(grant(1, NOW + 100 * HOUR, NOW + HOUR)).toEqual({ kind: 'applied', balance: MAX_OPEN_GRANTS });
    expect(grant(2, NOW + 5 * HOUR, NOW + HOUR, 'g')).toMatchObject({ kind: 'applied' });
    expect(grant(2, NOW + 5 * HOUR, NOW + HOUR, 'g')).toMatchObject({ kind: 'duplicate' });
    expect(grant(2, NOW + 6 * HOUR, NOW + HOUR, 'g')).toMatchObject({ kind: 'conflict' });
    expect(grant(2, undefined, NOW + HOUR, 'g')).toMatchObject({ kind: 'conflict' });
    expect(() => grant(1, NOW, NOW)).toThrow(RangeError);
    expect(() => store.changeCredits(ACCOUNT, { operation: 'refund', amount: 1, key: 'r', expiresAt: NOW + HOUR, now: NOW })).toThrow(RangeError);
  });
});

const HOUR_PAST_HOLD = HOLD_TTL_MS + 2 * HOUR;
