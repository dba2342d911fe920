// Expiring credit grants on a real Redis under faults (store README, "Expiring grants"): an account
// with permanent credits and two expiring grants admits many concurrent holds of random estimates
// (each drawing soonest-expiring first), then settles each at a random actual cost, every
// settlement sent twice in shuffled order, alongside debits, while connections are reset under
// them (the command lost, or the script run and its reply lost) or the server is frozen (SIGSTOP,
// then SIGCONT) past the store timeout. Failed settlements are sent again by the engine's
// compensation queue; failed debits again with their key. Half the settlements land before the
// first grant expires, half after, with refunds of the early debits (naming them): a give-back to
// the expired grant is then lost (it would have expired).
//
// Invariant, exactly, once everything is drained: balance = permanent part + Σ open grants' amounts
// left, with no open grant worth more than the balance; nothing spent twice (one outbox entry per
// hold, each hold billed exactly its actual cost, each debit taken once); and the first grant's
// expiry takes out exactly what it had left when it expired plus what came back to it afterwards
// (the settlements' give-backs that fall on its part of each hold, last taken first, and the
// refunded debits' parts taken from it), once; each refund gives its debit back once:
//   final balance = initial − Σ actual − Σ debits not refunded − left at expiry − give-backs lost with it.
// Which grant each draw takes from, soonest-expiring first, is checked step by step against the
// memory store in test/store-grants-differential.test.ts.
import { describe, expect, it } from 'vitest';
import { ManualClock, type CreditChange, type RouteRules } from '../packages/engine/src/index.js';
import { FAULTS, RetriedSettlements, useFaultedRedis, type Fault } from './support/faulted-redis.js';
import { redisSkipReason } from './support/redis.js';
import { mulberry32 } from './support/seeded-random.js';
import { SETTLE_POLICY } from './support/settle-plans.js';
import { outboxByHold } from './support/usage-outbox.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const ACCOUNT = 'granted';
const BASE = `tollgate{${ACCOUNT}}:`;
const HOLDS = 120;
const DEBITS = 20;
const TIMEOUT_MS = 400;
const NOW = Date.UTC(2026, 4, 12, 9, 0, 0);
const FIRST_EXPIRES = NOW + 60_000;
const SECOND_EXPIRES = NOW + 30 * 24 * 3_600_000;
const PERMANENT = 1_000_000;
const FIRST = 1_500;
const SECOND = 1_000;

const RULES: RouteRules = {
  policy: SETTLE_POLICY,
  cost: 1,
  plans: { metered: { kind: 'check', windows: [], quotas: [], credits: true, overage: 'block', counters: { windows: [], quotas: [], overage: `${SETTLE_POLICY}|overage` } } },
  noPlan: { kind: 'deny', reason: 'not-entitled' },
};

/** What a hold's record says it drew from each grant (`g`: `<expiresAt>:<amount>` …). */
function drawnFrom(parts: string | null): Map<number, number> {
  const drawn = new Map<number, number>();
  for (const part of (parts ?? '').split(' ').filter((p) => p !== '')) {
    const [expiresAt, amount] = part.split(':').map(Number) as [number, number];
    drawn.set(expiresAt, amount);
  }
  return drawn;
}

/** Of a settlement giving back `back` of a draw of `estimate`, what falls on the first grant's part: last taken first (permanent, second grant, first grant). */
function backToFirst(estimate: number, drawn: Map<number, number>, back: number): number {
  const first = drawn.get(FIRST_EXPIRES) ?? 0;
  const second = drawn.get(SECOND_EXPIRES) ?? 0;
  const permanent = estimate - first - second;
  return Math.min(first, Math.max(0, back - permanent - second));
}

describe.skipIf(skip !== undefined).each(FAULTS)('expiring grants spent and expired exactly once (%s)', (fault: Fault) => {
  const faulted = useFaultedRedis(TIMEOUT_MS);
  const clock = new ManualClock(NOW);

  it('spends soonest-expiring first, expires once, and charges each hold its actual once', async () => {
    const random = mulberry32(0x6a7 + fault.length);
    const redis = faulted.current;
    const store = redis.store;
    const settlements = new RetriedSettlements(redis, ACCOUNT, clock);
    await store.changeCredits(ACCOUNT, { operation: 'grant', amount: PERMANENT, now: NOW });
    await store.changeCredits(ACCOUNT, { operation: 'grant', amount: SECOND, expiresAt: SECOND_EXPIRES, now: NOW });
    await store.changeCredits(ACCOUNT, { operation: 'grant', amount: FIRST, expiresAt: FIRST_EXPIRES, now: NOW });
    const initial = PERMANENT + FIRST + SECOND;

    const estimates = Array.from({ length: HOLDS }, () => Math.floor(random() * 40));
    const admitted = await Promise.all(estimates.map((cost, i) => Promise.resolve(store.admit({ account: ACCOUNT, scope: '', fallbackPlan: 'metered', now: clock.now(), rules: RULES, cost, holdKey: `hold:${String(i)}` }))));
    expect(admitted.every((result) => result.outcome === 'allowed')).toBe(true);
    // Soonest-expiring first: the first grant went before the second, which the holds reached.
    const afterHolds = await store.getAccount(ACCOUNT);
    expect(afterHolds.grants?.[0]).toEqual({ amount: 0, expiresAt: FIRST_EXPIRES });
    expect(afterHolds.grants?.[1]?.amount).toBeLessThan(SECOND);
    const actuals = estimates.map(() => Math.floor(random() * 80));

    const settle = (i: number): Promise<void> => settlements.settle(`hold:${String(i)}`, actuals[i] as number);
    /** Sends a keyed credit change until it lands: given up after the store timeout, as the engine would; it may still run, and the retry with its key then finds it done. */
    const landed = async (change: CreditChange): Promise<void> => {
      for (;;) {
        const sent = Promise.resolve(store.changeCredits(ACCOUNT, change));
        const timedOut = new Promise<undefined>((resolve) => setTimeout(resolve, TIMEOUT_MS, undefined));
        const result = await Promise.race([sent.catch(() => undefined), timedOut]);
        if (result !== undefined) {
          expect(['applied', 'duplicate']).toContain(result.kind);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const debited = new Map<number, number>();
    const debit = async (n: number): Promise<void> => {
      const amount = 1 + Math.floor(random() * 30);
      debited.set(n, amount);
      await landed({ operation: 'debit', amount, key: `debit:${String(n)}`, now: clock.now() });
    };
    // A refund of a whole debit, naming it: back to the grants it took from while they are open.
    const refund = (n: number): Promise<void> => landed({ operation: 'refund', amount: debited.get(n) as number, key: `refund:${String(n)}`, debitKey: `debit:${String(n)}`, now: clock.now() });
    /** Each settlement of `holds` twice, `debits` debits and `refunds` refunds of earlier debits, shuffled, sent concurrently while the fault happens. */
    const underFaults = async (holds: readonly number[], debits: readonly number[], refunds: readonly number[] = []) => {
      const sends = [...holds, ...holds].map((i) => ({ run: () => settle(i), order: random() }));
      for (const n of debits) sends.push({ run: () => debit(n), order: random() });
      for (const n of refunds) sends.push({ run: () => refund(n), order: random() });
      sends.sort((a, b) => a.order - b.order);
      await redis.underFault(fault, sends.map(({ run }) => run));
      await settlements.drained();
    };

    const indexes = estimates.map((_, i) => i);
    const early = indexes.filter((i) => i % 2 === 0);
    const late = indexes.filter((i) => i % 2 === 1);
    await underFaults(early, Array.from({ length: DEBITS / 2 }, (_, n) => n));
    const atExpiry = await store.getAccount(ACCOUNT);
    const leftAtExpiry = atExpiry.grants?.find((grant) => grant.expiresAt === FIRST_EXPIRES)?.amount ?? 0;
    // What the late settlements give back to the first grant is lost with it: read from their holds' records now.
    let lostWithIt = 0;
    for (const i of late) {
      const back = Math.max(0, (estimates[i] as number) - (actuals[i] as number));
      lostWithIt += backToFirst(estimates[i] as number, drawnFrom(await redis.admin.hget(`${BASE}l:hold:${String(i)}`, 'g')), back);
    }
    // So is what the early debits, refunded whole after the expiry, took from it.
    const refunded = Array.from({ length: DEBITS / 2 }, (_, n) => n);
    for (const n of refunded) lostWithIt += drawnFrom(await redis.admin.hget(`${BASE}l:debit:${String(n)}`, 'g')).get(FIRST_EXPIRES) ?? 0;
    clock.set(FIRST_EXPIRES + 1_000);
    await underFaults(late, Array.from({ length: DEBITS / 2 }, (_, n) => DEBITS / 2 + n), refunded);
    // The faults did hit settlements: some failed and were sent again by the queue.
    expect(settlements.retried).toBeGreaterThan(0);
    // Settlements did give back to the first grant after it expired: the lost part is exercised.
    expect(lostWithIt).toBeGreaterThan(0);

    const final = await store.getAccount(ACCOUNT);
    const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
    const debitedNotRefunded = sum([...debited].filter(([n]) => !refunded.includes(n)).map(([, amount]) => amount));
    expect(final.credits).toBe(initial - sum(actuals) - debitedNotRefunded - leftAtExpiry - lostWithIt);
    // Balance = permanent + Σ open grants: the first grant is gone, the second is worth no more than the balance.
    expect(final.grants).toHaveLength(1);
    expect(final.grants?.[0]?.expiresAt).toBe(SECOND_EXPIRES);
    expect(final.grants?.[0]?.amount).toBeLessThanOrEqual(final.credits);
    // Nothing spent twice: each hold settled once, billed exactly its actual; no hold open.
    expect(await redis.admin.zcard(`${BASE}h`)).toBe(0);
    const billed = await outboxByHold(redis.admin, ACCOUNT);
    actuals.forEach((actual, i) => {
      const entry = billed.get(`hold:${String(i)}`);
      expect(entry?.entries ?? 1, `hold:${String(i)}`).toBe(1);
      expect(entry?.credits ?? 0, `hold:${String(i)}`).toBe(actual);
    });
  }, 60_000);
});
