// Metered routes under concurrency, against a real Redis: two engines (two gateway nodes) admit 60
// requests at once on 100 credits, each holding its estimate of 3 units; then every admitted
// request is completed twice at once, once on each node (a duplicated completion), with the cost
// its response states, below or above the estimate. No more is admitted than the balance holds,
// each hold is settled exactly once, the balance never goes below -overdraft, and every unit is
// accounted for: what the settlements drew from credits is what the balance lost, and what they
// charged plus what they wrote off is what the responses stated.
import { describe, expect, it } from 'vitest';
import { createAccounts, ManualClock, type Allow, type Deny, type EngineConfig, type HoldOutcome } from '../packages/engine/src/index.js';
import { flushAll, redisSkipReason } from './support/redis.js';
import { useTwoRedisNodes } from './support/redis-nodes.js';
import { BASE_CONFIG, factsOf } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const CREDITS = 100;
const ESTIMATE = 3;
const OVERDRAFT = 10;
const REQUESTS = 60;
const config: EngineConfig = {
  ...BASE_CONFIG,
  policy: 'metered-race',
  plans: [{ name: 'prepaid', plan: { credits: true } }],
  defaultPlan: 'prepaid',
  costs: { overdraft: OVERDRAFT, metered: { forecast: { estimate: ESTIMATE, header: 'X-Cost-Units' } } },
  store: { kind: 'redis', onFailure: 'closed', timeoutMs: 10_000 },
};

/** The cost the n-th response states: below, at and above the estimate. */
const actualOf = (n: number): number => [1, 3, 7][n % 3] as number;

describe.skipIf(skip !== undefined)('metered routes on Redis, two nodes, concurrent', () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 10, 12, 0, 0));
  const nodes = useTwoRedisNodes(config, clock);

  it('admits what the balance holds, settles each hold once and accounts for every unit', async () => {
    const redis = nodes.current;
    await flushAll(redis.admin);
    const store = redis.store();
    await createAccounts(store, clock).changeCredits('alice', 'grant', CREDITS);

    const decisions = await Promise.all(Array.from({ length: REQUESTS }, async (_, i) => redis.node(i).decide(factsOf({ method: 'GET', path: '/v1/forecast', consumer: 'alice' }))));
    const admitted = decisions.filter((d): d is Allow => d.kind === 'allow');
    expect(admitted).toHaveLength(Math.floor(CREDITS / ESTIMATE));
    expect(new Set(decisions.filter((d): d is Deny => d.kind === 'deny').map((d) => d.reason))).toEqual(new Set(['insufficient-credits']));
    expect((await store.getAccount('alice')).credits).toBe(CREDITS - admitted.length * ESTIMATE);

    const outcomes = await Promise.all(
      admitted.flatMap((allow, n) => {
        const response = { status: 200, header: String(actualOf(n)) };
        return redis.all().map(async (node) => ({ n, hold: (await node.complete(allow.followUp as NonNullable<Allow['followUp']>, 200, response)).hold }));
      }),
    );
    const settled: Extract<HoldOutcome, { kind: 'settled' }>[] = [];
    for (let n = 0; n < admitted.length; n++) {
      const both = outcomes.filter((o) => o.n === n).map((o) => o.hold);
      expect(both.map((h) => h.kind).sort(), `request ${n}`).toEqual(['nothing-held', 'settled']);
      settled.push(both.find((h) => h.kind === 'settled') as Extract<HoldOutcome, { kind: 'settled' }>);
    }

    const balance = (await store.getAccount('alice')).credits;
    const stated = admitted.reduce((sum, _a, n) => sum + actualOf(n), 0);
    const sum = (pick: (s: Extract<HoldOutcome, { kind: 'settled' }>) => number) => settled.reduce((total, s) => total + pick(s), 0);
    expect(balance).toBeGreaterThanOrEqual(-OVERDRAFT);
    expect(CREDITS - balance).toBe(sum((s) => s.credits));
    expect(sum((s) => s.charged) + sum((s) => s.writtenOff)).toBe(stated);
    // The 11 responses stating 7 want 44 units more than they held; whatever the order, the balance
    // (1 after the holds, 23 at most once the 11 stating 1 gave 2 back each) and the overdraft give
    // at most 33 of them: at least 11 are written off.
    expect(sum((s) => s.writtenOff)).toBeGreaterThanOrEqual(11);
  });
});
