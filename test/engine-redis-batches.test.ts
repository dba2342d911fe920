// How the Redis store sends admissions (store/redis/admit-batches.ts): the admissions queued in
// one event-loop turn go as one admit script call per batch of at most MAX_BATCH, so a decision takes at
// most one call, counted by the server. A batch decides exactly as the same admissions sent one by
// one; an admission whose script step fails fails alone (and what it wrote before stays: Redis
// does not roll back); and admit gives back an account's expired holds once `holdsDue` says one
// is due, never looking for them before. Cluster batches (one account each): engine-redis-cluster.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRouteRules } from '../packages/engine/src/compile/route-rules.js';
import { HOLD_TTL_MS, type Admission, type AdmissionResult, type EngineConfig } from '../packages/engine/src/index.js';
import { MAX_BATCH } from '../packages/engine/src/store/redis/admit-batches.js';
import { createRedisStore, type RedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { monitorCommands, RedisServer, redisSkipReason } from './support/redis.js';
import { BASE_CONFIG } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const POLICY = 'batches';
const COST = 3;
const config: EngineConfig = {
  ...BASE_CONFIG,
  policy: POLICY,
  plans: [
    { name: 'metered', plan: { rateLimit: { minute: 50, hour: 1000, window: 'sliding' }, quota: { requests: 30, per: 'month' }, overage: 'bill' } },
    { name: 'prepaid', plan: { credits: true } },
    { name: 'starter', plan: { rateLimit: { minute: 50 } } },
  ],
  costs: { default: COST },
};
const rules = compileRouteRules(config)('forecast', 'GET');

function admission(account: string, now = NOW, holdKey?: string): Admission {
  return { account, scope: '', fallbackPlan: 'starter', now, rules, ...(holdKey === undefined ? {} : { holdKey }) };
}

describe.skipIf(skip !== undefined)('Redis store: admissions in batches', () => {
  let server: RedisServer;
  let admin: Redis;
  const stores: RedisStore[] = [];
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await admin.quit();
    await server.close();
  });

  /** A connected store whose keys start with `prefix`. */
  async function storeWith(prefix: string): Promise<RedisStore> {
    const store = createRedisStore({ kind: 'redis', url: server.url, keyPrefix: prefix, timeoutMs: 5000 });
    stores.push(store);
    await store.getAccount('warm-up');
    return store;
  }

  it('takes one script call per batch of the admissions queued in one turn, and at most one per decision', async () => {
    const store = await storeWith('calls');
    // The server knows the script from here on: every call is an EVALSHA.
    await store.admit(admission('warm-up'));
    const queued = 500;
    const awaited = 5;
    const { sent } = await monitorCommands([admin], async () => {
      const results = await Promise.all(Array.from({ length: queued }, (_, i) => store.admit(admission(`caller-${i % 7}`))));
      expect(results.every((r) => r.outcome === 'allowed' || r.outcome === 'rate-limited')).toBe(true);
      for (let i = 0; i < awaited; i++) await store.admit(admission('alone'));
    });
    expect(MAX_BATCH).toBeLessThan(queued);
    expect(sent).toEqual({ evalsha: Math.ceil(queued / MAX_BATCH) + awaited });
  });

  it('shares one call between the admissions that separate callbacks of one event-loop turn queue', async () => {
    // A sidecar or runner reads one request per connection per turn, each in its own I/O callback,
    // and Node runs the nextTick queue after every callback: batching per tick sent one call per
    // decision. setImmediate callbacks model those callbacks (nextTick runs between them too).
    const store = await storeWith('turn');
    await store.admit(admission('warm-up'));
    const callbacks = 6;
    const { sent } = await monitorCommands([admin], async () => {
      const results = await new Promise<AdmissionResult[]>((resolve, reject) => {
        const admitted: Promise<AdmissionResult>[] = [];
        for (let i = 0; i < callbacks; i++) {
          setImmediate(() => {
            admitted.push(store.admit(admission(`reader-${i}`)));
            if (admitted.length === callbacks) Promise.all(admitted).then(resolve, reject);
          });
        }
      });
      expect(results.map((r) => r.outcome)).toEqual(Array.from({ length: callbacks }, () => 'allowed'));
    });
    expect(sent).toEqual({ evalsha: 1 });
  });

  it('decides a batch exactly as the same admissions sent one by one', async () => {
    // Three accounts: one on the metered plan (sliding windows, a quota billed past its limit), one
    // prepaid (credits run out), one without a record (the fallback plan's window). Each gets 200
    // admissions, interleaved, a few milliseconds apart within one minute, every fifth one holding
    // what it took.
    const admissions = Array.from({ length: 600 }, (_, i) => admission(['metered', 'prepaid', 'anyone'][i % 3] as string, NOW + 7 * i, i % 5 === 0 ? `hold:${i}` : undefined));
    const prepare = async (prefix: string): Promise<RedisStore> => {
      const store = await storeWith(prefix);
      await store.updateAccount('metered', { plan: 'metered' });
      await store.updateAccount('prepaid', { plan: 'prepaid' });
      await store.changeCredits('prepaid', { operation: 'grant', amount: 100, now: NOW });
      return store;
    };
    const batchedStore = await prepare('batched');
    const oneByOneStore = await prepare('one-by-one');

    const batched = await Promise.all(admissions.map((a) => batchedStore.admit(a)));
    const oneByOne: AdmissionResult[] = [];
    for (const a of admissions) oneByOne.push(await oneByOneStore.admit(a));

    expect(batched).toEqual(oneByOne);
    const allowed = (account: string): AdmissionResult[] => batched.filter((r, i) => admissions[i]?.account === account && r.outcome === 'allowed');
    // A limit of 50 a minute: exactly 50 of the 200; past the quota of 30 they are billed as overage.
    expect(allowed('anyone')).toHaveLength(50);
    expect(allowed('metered')).toHaveLength(50);
    expect(allowed('metered').filter((r) => r.overage > 0)).toHaveLength(20);
    // 100 credits at 3 a request: 33 admitted, the balance never below zero.
    expect(allowed('prepaid')).toHaveLength(33);
    const balances = batched.filter((_, i) => admissions[i]?.account === 'prepaid').map((r) => r.account.credits);
    expect(Math.min(...balances)).toBe(100 - 33 * COST);
    expect((await batchedStore.getAccount('prepaid')).credits).toBe(100 - 33 * COST);
  });

  it('fails only the admission whose script step failed; what it wrote before stays', async () => {
    const store = await storeWith('faults');
    // The account's open-holds set is a string: recording the hold fails, after the credits were drawn.
    await store.updateAccount('broken', { plan: 'prepaid' });
    await store.changeCredits('broken', { operation: 'grant', amount: 10, now: NOW });
    await admin.set('faults{broken}:h', 'not a sorted set');
    const { sent } = await monitorCommands([admin], async () => {
      const settled = await Promise.allSettled([store.admit(admission('fine')), store.admit(admission('broken', NOW, 'hold:1')), store.admit(admission('fine'))]);
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const [first, failed, third] = settled;
      expect(failed.status === 'rejected' && String(failed.reason)).toMatch(/WRONGTYPE/);
      // The admission after the failed one still saw the one before it.
      expect(first.status === 'fulfilled' && first.value.windows[0]?.remaining).toBe(49);
      expect(third.status === 'fulfilled' && third.value.windows[0]?.remaining).toBe(48);
    });
    expect(sent).toEqual({ evalsha: 1 });
    // Its credits were drawn before the hold failed: Redis does not roll a script back.
    expect((await store.getAccount('broken')).credits).toBe(10 - COST);
  });

  it('fails an admission it cannot send (a hold key with white space, a plan name with a tab) alone', async () => {
    const store = await storeWith('unsendable');
    const tabbed = { ...rules, plans: { ...rules.plans, 'tab\tplan': { kind: 'deny', reason: 'not-entitled' } } } as const;
    const settled = await Promise.allSettled([
      store.admit(admission('anyone', NOW, 'hold key')),
      store.admit({ ...admission('anyone'), rules: tabbed }),
      store.admit(admission('anyone', NOW, 'hold:1')),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });

  describe('expired holds and holdsDue', () => {
    const accountKey = 'holds{prepaid}:a';
    /** One admission of the prepaid account at `now`, and how many times its script looked for due holds. */
    async function admitAt(store: RedisStore, now: number, holdKey?: string): Promise<{ readonly result: AdmissionResult; readonly looked: number }> {
      let result: AdmissionResult | undefined;
      const { scripted } = await monitorCommands([admin], async () => {
        result = await store.admit(admission('prepaid', now, holdKey));
      });
      if (result === undefined) throw new Error('no admission result');
      return { result, looked: scripted.zrangebyscore ?? 0 };
    }

    it('are given back by the first admit once due, never looked for before, and leave no trace', async () => {
      const store = await storeWith('holds');
      await store.updateAccount('prepaid', { plan: 'prepaid' });
      await store.changeCredits('prepaid', { operation: 'grant', amount: 10, now: NOW });
      const holdsDue = async (): Promise<string | null> => admin.hget(accountKey, 'holdsDue');

      // Two holds, the second one later: holdsDue is the earlier expiry.
      expect(await admitAt(store, NOW, 'hold:first')).toMatchObject({ result: { outcome: 'allowed', charged: COST, account: { credits: 7 } }, looked: 0 });
      expect(await admitAt(store, NOW + 1000, 'hold:second')).toMatchObject({ result: { account: { credits: 4 } }, looked: 0 });
      expect(await holdsDue()).toBe(String(NOW + HOLD_TTL_MS));

      // Not yet due: admit does not look for them, and nothing is given back.
      expect(await admitAt(store, NOW + HOLD_TTL_MS - 1)).toMatchObject({ result: { account: { credits: 1 } }, looked: 0 });

      // The first one is due: given back before the decision (1 + 3, then 3 drawn), holdsDue moves to the second one's expiry.
      expect(await admitAt(store, NOW + HOLD_TTL_MS)).toMatchObject({ result: { outcome: 'allowed', account: { credits: 1 } }, looked: 1 });
      expect(await holdsDue()).toBe(String(NOW + 1000 + HOLD_TTL_MS));
      expect(await admitAt(store, NOW + 1000 + HOLD_TTL_MS - 1)).toMatchObject({ result: { outcome: 'insufficient-credits' }, looked: 0 });

      // The last one is due: given back, and with no hold left the field is gone.
      expect(await admitAt(store, NOW + 1000 + HOLD_TTL_MS)).toMatchObject({ result: { outcome: 'allowed', account: { credits: 1 } }, looked: 1 });
      expect(await holdsDue()).toBeNull();
      expect(await admin.zcard('holds{prepaid}:h')).toBe(0);
      expect(await admitAt(store, NOW + 2 * HOLD_TTL_MS)).toMatchObject({ result: { outcome: 'insufficient-credits' }, looked: 0 });
    });
  });
});
