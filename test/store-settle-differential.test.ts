// Settling holds at the actual cost: the Redis stores (standalone and Cluster) give exactly the
// memory store's answers (the reference semantics, store README `completeHold`).
//
// Invariant: for one seeded sequence of operations on one account — credit grants, admissions
// holding an estimate, settlements above and below it (sent again after they landed, or after a
// commit, a release or the hold's expiry), commits, releases, admissions without a hold, previews
// at a cost, the clock moving on past hold expiries — every admission result and every completion result of a Redis
// store equals the memory store's, and so do, at the end, the balance, each quota's use and the
// usage outbox added up per meter. Besides, the balance is never below −overdraft.
import { afterEach, describe, expect, it } from 'vitest';
import { HOLD_TTL_MS, MemoryStore, type AdmissionResult, type HoldResult, type RouteRules, type Store } from '../packages/engine/src/index.js';
import { redisStoresUnderTest } from './support/redis.js';
import { mulberry32 } from './support/seeded-random.js';
import { SETTLE_PLANS } from './support/settle-plans.js';
import { outboxTotals } from './support/usage-outbox.js';

const ACCOUNT = 'settler';
const NOW = Date.UTC(2026, 4, 12, 9, 0, 0);
const STEPS = 240;
const SEED = 0x5e771e;

/** What the two stores must agree on in an admission's result. */
function comparable(result: AdmissionResult) {
  return {
    outcome: result.outcome,
    credits: result.account.credits,
    charged: result.charged,
    overage: result.overage,
    violated: result.violated,
    quotas: result.quotas.map((q) => q.used),
    windows: result.windows.map((w) => w.remaining),
  };
}

type Operation = (store: Store) => Promise<AdmissionResult | HoldResult | { kind: string; balance: number }>;

/** The seeded sequence: one operation at a time, each to run on both stores; its label names it in a failure. */
function* operations(rules: RouteRules, seed: number): Generator<{ label: string; run: Operation }> {
  const random = mulberry32(seed);
  const pick = (n: number) => Math.floor(random() * n);
  let now = NOW;
  let next = 0;
  const open: string[] = [];
  const done: string[] = [];
  for (let step = 0; step < STEPS; step++) {
    const at = now;
    const roll = random();
    if (roll < 0.14) {
      const amount = 1 + pick(200);
      yield { label: `grant ${amount}`, run: (s) => Promise.resolve(s.changeCredits(ACCOUNT, { operation: 'grant', amount, now: at })) };
    } else if (roll < 0.45) {
      const key = `hold:${next++}`;
      const estimate = pick(60);
      open.push(key);
      yield { label: `hold ${key} ${estimate}`, run: (s) => Promise.resolve(s.admit({ account: ACCOUNT, scope: '', fallbackPlan: 'metered', now: at, rules, cost: estimate, holdKey: key })) };
    } else if (roll < 0.8 && open.length > 0) {
      const key = open.splice(pick(open.length), 1)[0] as string;
      done.push(key);
      const kind = random();
      const completion = kind < 0.8 ? { settle: pick(150) } : kind < 0.9 ? ('commit' as const) : ('release' as const);
      yield { label: `complete ${key} ${JSON.stringify(completion)}`, run: (s) => Promise.resolve(s.completeHold(ACCOUNT, key, completion, at)) };
    } else if (roll < 0.88 && done.length > 0) {
      // A duplicate (or late) settlement: nothing is held any more.
      const key = done[pick(done.length)] as string;
      const settle = pick(150);
      yield { label: `again ${key} ${settle}`, run: (s) => Promise.resolve(s.completeHold(ACCOUNT, key, { settle }, at)) };
    } else if (roll < 0.91) {
      const cost = pick(60);
      yield { label: `preview ${cost}`, run: (s) => Promise.resolve(s.previewAdmit({ account: ACCOUNT, scope: '', fallbackPlan: 'metered', now: at, rules, cost })) };
    } else if (roll < 0.96) {
      const cost = pick(30);
      yield { label: `admit ${cost}`, run: (s) => Promise.resolve(s.admit({ account: ACCOUNT, scope: '', fallbackPlan: 'metered', now: at, rules, cost })) };
    } else {
      // Past every open hold's expiry: the next touch of the account settles them as onUnsettled says.
      now += HOLD_TTL_MS + 1;
      open.length = 0;
      yield { label: 'expire open holds', run: (s) => Promise.resolve(s.changeCredits(ACCOUNT, { operation: 'grant', amount: 1, now: at + HOLD_TTL_MS + 1 })) };
      continue;
    }
    now += 1 + pick(2000);
  }
}

function normalised(result: AdmissionResult | HoldResult | { kind: string; balance: number }): unknown {
  return 'outcome' in result ? comparable(result) : result;
}

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe.each(redisStoresUnderTest())('settling holds: $name gives the memory store\'s answers', (row) => {
  it.each(Object.entries(SETTLE_PLANS))('%s', async (name, rules) => {
    const redis = await row.create();
    stores.push(redis);
    const memory = new MemoryStore({ keepUsage: true });
    const seed = SEED + Object.keys(SETTLE_PLANS).indexOf(name);
    let settlements = 0;
    for (const { label, run } of operations(rules, seed)) {
      const expected = normalised(await run(memory));
      const actual = normalised(await run(redis));
      expect(actual, `seed ${String(seed)}: ${label}`).toEqual(expected);
      if ((expected as { kind?: string }).kind === 'settled') settlements++;
      expect(memory.getAccount(ACCOUNT).credits).toBeGreaterThanOrEqual(-(rules.overdraft ?? 0));
    }
    // The sequence did settle, above and below the estimate: not only refusals and nothing-held.
    expect(settlements).toBeGreaterThanOrEqual(STEPS / 12);

    const probe = { account: ACCOUNT, scope: '', fallbackPlan: 'metered', now: NOW + 3_600_000 * 24, rules, cost: 0 };
    expect(comparable(await redis.previewAdmit(probe))).toEqual(comparable(memory.previewAdmit(probe)));
    expect((await redis.getAccount(ACCOUNT)).credits).toBe(memory.getAccount(ACCOUNT).credits);
    const billed = { overage: 0, credits: 0 };
    for (const event of memory.usage.take()) billed[event.meter] += event.quantity;
    const { overage, credits } = await outboxTotals(row.admin(), ACCOUNT);
    expect({ overage, credits }).toEqual(billed);
  });

  it('leaves the counters of a quota period that ended before the settlement alone, as the memory store does', async () => {
    const redis = await row.create();
    stores.push(redis);
    const memory = new MemoryStore({ keepUsage: true });
    const rules = SETTLE_PLANS['units quota, overage billed'] as RouteRules;
    const endOfMay = Date.UTC(2026, 5, 1) - 120_000;
    const hold = (s: Store, key: string, cost: number, now: number) => Promise.resolve(s.admit({ account: ACCOUNT, scope: '', fallbackPlan: 'metered', now, rules, cost, holdKey: key }));
    const settle = (s: Store, key: string, actual: number, now: number) => Promise.resolve(s.completeHold(ACCOUNT, key, { settle: actual }, now));
    const probe = (s: Store, now: number) => Promise.resolve(s.previewAdmit({ account: ACCOUNT, scope: '', fallbackPlan: 'metered', now, rules, cost: 0 }));
    for (const s of [memory, redis]) {
      await hold(s, 'hold:up', 490, endOfMay);
      await hold(s, 'hold:down', 10, endOfMay);
    }
    const answers = async (s: Store) => [
      comparable(await probe(s, endOfMay)),
      await settle(s, 'hold:up', 600, Date.UTC(2026, 5, 1) + 60_000),
      await settle(s, 'hold:down', 2, Date.UTC(2026, 5, 1) + 60_000),
      comparable(await probe(s, Date.UTC(2026, 5, 1) + 60_000)),
    ];
    const expected = await answers(memory);
    expect(await answers(redis)).toEqual(expected);
    // Nothing was counted in June, and no overage billed for May's ended period.
    expect(expected[3]).toMatchObject({ quotas: [0] });
    const { overage } = await outboxTotals(row.admin(), ACCOUNT);
    expect(overage).toBe(0);
  });

  it('refuses a settlement or a cost that is no non-negative integer, writing nothing', async () => {
    const redis = await row.create();
    stores.push(redis);
    const rules = SETTLE_PLANS['credits with an overdraft'] as RouteRules;
    await redis.changeCredits(ACCOUNT, { operation: 'grant', amount: 10, now: NOW });
    await expect(Promise.resolve(redis.admit({ account: ACCOUNT, scope: '', fallbackPlan: 'metered', now: NOW, rules, cost: 2.5, holdKey: 'hold:x' }))).rejects.toThrow(RangeError);
    expect((await redis.admit({ account: ACCOUNT, scope: '', fallbackPlan: 'metered', now: NOW, rules, cost: 4, holdKey: 'hold:a' })).outcome).toBe('allowed');
    await expect(Promise.resolve(redis.completeHold(ACCOUNT, 'hold:a', { settle: -3 }, NOW))).rejects.toThrow(RangeError);
    expect(await redis.completeHold(ACCOUNT, 'hold:a', { settle: 3 }, NOW)).toEqual({ kind: 'settled', charged: 3, credits: 3, writtenOff: 0 });
    expect((await redis.getAccount(ACCOUNT)).credits).toBe(7);
  });
});
