// Charge only on success under concurrency, against a real Redis: two engines (two gateway nodes,
// each with its own connection) admit 150 requests at once for 100 credits' worth, then every
// admitted request is completed twice at once with opposite outcomes (a commit racing a release,
// as a retried or duplicated completion would). Each hold is settled exactly once, the balance
// is exactly what the winning commits took, and it never goes below zero. Holds whose answer never
// comes are given back after HOLD_TTL_MS.
import { describe, expect, it } from 'vitest';
import { createAccounts, HOLD_TTL_MS, ManualClock, type Engine, type EngineConfig, type FollowUp } from '../packages/engine/src/index.js';
import { flushAll, redisSkipReason } from './support/redis.js';
import { useTwoRedisNodes } from './support/redis-nodes.js';
import { BASE_CONFIG, factsOf } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const CREDITS = 100;
const REQUESTS = 150;
const config: EngineConfig = {
  ...BASE_CONFIG,
  policy: 'success-race',
  plans: [{ name: 'prepaid', plan: { credits: true } }],
  defaultPlan: 'prepaid',
  costs: { default: 1, chargeOn: 'success' },
  store: { kind: 'redis', onFailure: 'closed', timeoutMs: 10_000 },
};

describe.skipIf(skip !== undefined)('chargeOn success on Redis, two nodes, concurrent', () => {
  const clock = new ManualClock(Date.UTC(2026, 2, 10, 12, 0, 0));
  const nodes = useTwoRedisNodes(config, clock);
  const node = (i: number): Engine => nodes.current.node(i);

  async function fund(credits: number): Promise<ReturnType<typeof createAccounts>> {
    await flushAll(nodes.current.admin);
    const store = nodes.current.store();
    const accounts = createAccounts(store, clock);
    await accounts.changeCredits('alice', 'grant', credits);
    return accounts;
  }

  async function admitAll(count: number): Promise<FollowUp[]> {
    const decisions = await Promise.all(Array.from({ length: count }, (_, i) => Promise.resolve(node(i).decide(factsOf({ method: 'GET', path: '/v1/forecast', consumer: 'alice' })))));
    const allowed = decisions.flatMap((d) => (d.kind === 'allow' ? [d] : []));
    expect(decisions.filter((d) => d.kind === 'deny' && d.reason === 'insufficient-credits')).toHaveLength(count - allowed.length);
    return allowed.map((d) => {
      if (d.followUp === undefined) throw new Error('an admitted chargeOn-success request must carry a follow-up');
      return d.followUp;
    });
  }

  it('holds exactly the credits there are, and settles each hold exactly once', async () => {
    const accounts = await fund(CREDITS);
    const followUps = await admitAll(REQUESTS);
    expect(followUps).toHaveLength(CREDITS);
    expect((await accounts.show('alice')).credits).toBe(0);

    // Every third upstream failed (5xx); every completion is delivered twice, once with each outcome, on both nodes at once.
    const completions = await Promise.all(
      followUps.flatMap((followUp, i) => {
        const status = i % 3 === 0 ? 503 : 200;
        return [node(0).complete(followUp, status), node(1).complete(followUp, status === 503 ? 200 : 503)];
      }),
    );
    const kinds = completions.map((c) => c.hold.kind);
    const committed = kinds.filter((k) => k === 'committed').length;
    const released = kinds.filter((k) => k === 'released').length;
    expect(committed + released).toBe(CREDITS);
    expect(kinds.filter((k) => k === 'nothing-held')).toHaveLength(CREDITS);
    expect((await accounts.show('alice')).credits).toBe(CREDITS - committed);
    // The released credits can be spent again, and no more than that.
    expect(await admitAll(released + 20)).toHaveLength(released);
  });

  it('gives back holds whose upstream never answered, once, whichever node sees the account next', async () => {
    const accounts = await fund(10);
    const lost = await admitAll(10);
    expect((await accounts.show('alice')).credits).toBe(0);
    clock.advance(HOLD_TTL_MS);
    // Both nodes race to admit first after the expiry: the 10 held credits come back exactly once.
    const afterExpiry = await admitAll(30);
    expect(afterExpiry).toHaveLength(10);
    // Completions that arrive after the expiry find nothing to commit or release.
    const late = await Promise.all(lost.map((f, i) => node(i).complete(f, 200)));
    expect(late.map((c) => c.hold.kind)).toEqual(Array.from({ length: 10 }, () => 'nothing-held'));
    expect((await accounts.show('alice')).credits).toBe(0);
  });
});
