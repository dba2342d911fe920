// Settling metered holds on a real Redis under faults (store README, `completeHold`): many
// concurrent holds of random estimates, each settled at a random actual cost, every settlement sent
// twice and in shuffled order, while connections are reset under it (the command lost, or the
// settlement run and its reply lost) or the server is frozen (SIGSTOP, then SIGCONT) past the
// store timeout. A settlement that failed is sent again by the engine's compensation queue
// (compensations.ts, `retryCompletion`) with the same amount until it lands.
//
// Invariant, exactly, once the queue is drained: every hold is settled once (one usage outbox entry
// per hold at most), whatever the duplicates, retries and lost replies; and
// - credits ample (credits drawn alongside a units quota): final credits = initial − Σ actual,
//   quota used = Σ actual, outbox credits = Σ actual, per hold its actual;
// - credits scarce (credits only, overdraft D): the balance is never below −D, initial − final =
//   outbox credits, and no hold is charged more than its actual;
// - a units quota with overage billed: used + overage counter = Σ actual, used ≤ the limit,
//   outbox overage = the overage counter, nothing drawn from credits.
import { describe, expect, it } from 'vitest';
import { ManualClock, type RouteRules } from '../packages/engine/src/index.js';
import { FAULTS, RetriedSettlements, useFaultedRedis, type Fault } from './support/faulted-redis.js';
import { flushAll, redisSkipReason } from './support/redis.js';
import { mulberry32 } from './support/seeded-random.js';
import { SETTLE_POLICY } from './support/settle-plans.js';
import { outboxByHold, outboxTotals, overageCounter } from './support/usage-outbox.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const ACCOUNT = 'metered';
const HOLDS = 120;
const TIMEOUT_MS = 400;
const NOW = Date.UTC(2026, 4, 12, 9, 0, 0);
const OVERDRAFT = 30;

function rules(plan: { credits: boolean; overage: 'block' | 'bill'; unitsLimit?: number }, overdraft = 0): RouteRules {
  const quotas = plan.unitsLimit === undefined ? [] : [{ unit: 'units' as const, limit: plan.unitsLimit, per: 'month' as const, anchor: 'calendar' as const }];
  return {
    policy: SETTLE_POLICY,
    cost: 1,
    plans: {
      metered: { kind: 'check', windows: [], quotas, credits: plan.credits, overage: plan.overage, counters: { windows: [], quotas: quotas.map(() => `${SETTLE_POLICY}|units`), overage: `${SETTLE_POLICY}|overage` } },
    },
    noPlan: { kind: 'deny', reason: 'not-entitled' },
    overdraft,
  };
}

const SCENARIOS = {
  'credits ample': { rules: rules({ credits: true, overage: 'block', unitsLimit: 1_000_000 }), credits: 1_000_000 },
  'credits scarce': { rules: rules({ credits: true, overage: 'block' }, OVERDRAFT), credits: 2_000 },
  'units quota, overage billed': { rules: rules({ credits: false, overage: 'bill', unitsLimit: 3_000 }), credits: 0 },
} as const;

describe.skipIf(skip !== undefined).each(FAULTS)('settling metered holds exactly once (%s)', (fault: Fault) => {
  const faulted = useFaultedRedis(TIMEOUT_MS);
  const clock = new ManualClock(NOW);

  it.each(Object.entries(SCENARIOS))('%s', async (name, scenario) => {
    const redis = faulted.current;
    const { admin, store } = redis;
    await flushAll(admin);
    const random = mulberry32(0x5e7 + name.length);
    const settlements = new RetriedSettlements(redis, ACCOUNT, clock);
    if (scenario.credits > 0) await store.changeCredits(ACCOUNT, { operation: 'grant', amount: scenario.credits, now: clock.now() });

    // Every hold admitted at once; those allowed get an actual cost, above or below their estimate.
    const admitted = await Promise.all(
      Array.from({ length: HOLDS }, (_, i) => {
        const estimate = Math.floor(random() * 40);
        return Promise.resolve(store.admit({ account: ACCOUNT, scope: '', fallbackPlan: 'metered', now: clock.now(), rules: scenario.rules, cost: estimate, holdKey: `hold:${String(i)}` }));
      }),
    );
    const actuals = new Map<string, number>();
    admitted.forEach((result, i) => {
      if (result.outcome === 'allowed') actuals.set(`hold:${String(i)}`, Math.floor(random() * 80));
    });
    expect(actuals.size).toBeGreaterThan(HOLDS / 2);

    // Each settlement twice, all of them shuffled, sent concurrently while the faults happen.
    const sends = [...actuals.keys(), ...actuals.keys()].map((key) => ({ key, order: random() })).sort((a, b) => a.order - b.order);
    await redis.underFault(fault, sends.map(({ key }) => () => settlements.settle(key, actuals.get(key) as number)));
    await settlements.drained();
    // The faults did hit settlements: some failed and were sent again by the queue.
    expect(settlements.retried).toBeGreaterThan(0);

    const sum = [...actuals.values()].reduce((a, b) => a + b, 0);
    const billed = await outboxTotals(admin, ACCOUNT);
    const byHold = await outboxByHold(admin, ACCOUNT);
    const credits = (await store.getAccount(ACCOUNT)).credits;
    const quotaUsed = Number((await admin.get(`tollgate{${ACCOUNT}}:q:${SETTLE_POLICY}:units:${String(Date.UTC(2026, 4, 1))}`)) ?? 0);
    // Settled once: no hold is open any more, and none has two outbox entries.
    expect(await admin.zcard(`tollgate{${ACCOUNT}}:h`)).toBe(0);
    for (const [key, { entries }] of byHold) expect(entries, key).toBe(1);

    if (name === 'credits ample') {
      expect(credits).toBe(scenario.credits - sum);
      expect(quotaUsed).toBe(sum);
      expect(billed.credits).toBe(sum);
      for (const [key, actual] of actuals) expect(byHold.get(key)?.credits ?? 0, key).toBe(actual);
    } else if (name === 'credits scarce') {
      expect(credits).toBeGreaterThanOrEqual(-OVERDRAFT);
      expect(scenario.credits - credits).toBe(billed.credits);
      for (const [key, actual] of actuals) expect(byHold.get(key)?.credits ?? 0, key).toBeLessThanOrEqual(actual);
      // Scarce indeed: the actuals asked for more than the balance and the overdraft held.
      expect(sum).toBeGreaterThan(scenario.credits + OVERDRAFT);
    } else {
      const overage = await overageCounter(admin, ACCOUNT, SETTLE_POLICY, NOW);
      expect(quotaUsed + overage).toBe(sum);
      expect(quotaUsed).toBeLessThanOrEqual(3_000);
      expect(overage).toBeGreaterThan(0);
      expect(billed).toMatchObject({ overage, credits: 0 });
    }
  }, 60_000);
});
