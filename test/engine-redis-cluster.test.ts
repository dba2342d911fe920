// The Redis store on a local three-master Redis Cluster: decisions (windows, quota, credits,
// holds released on a 5xx) work, and every key of one account lands in one slot — the account's
// hash tag — while different accounts spread over the masters; a batch of admissions holds one
// account's only, so each script call stays in one slot. Every conformance vector also runs on
// this store kind: see the `redis-cluster` row of test/engine-vectors.test.ts.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRouteRules } from '../packages/engine/src/compile/route-rules.js';
import { accountId, createAccounts, createEngine, ManualClock, type Engine, type EngineConfig } from '../packages/engine/src/index.js';
import { MAX_BATCH } from '../packages/engine/src/store/redis/admit-batches.js';
import { createRedisStore, type RedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { monitorCommands, RedisCluster, redisSkipReason } from './support/redis.js';
import { BASE_CONFIG } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const CONSUMERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'we{ird}:name', '100%'];
const CLOCK = Date.UTC(2026, 2, 10, 12, 0, 0);

const config: EngineConfig = {
  ...BASE_CONFIG,
  identity: { auth: 'key-auth', limitBy: 'credential' },
  plans: [
    {
      name: 'metered',
      plan: { rateLimit: { second: 3, minute: 100, window: 'sliding' }, quota: { requests: 1000, units: 5000, per: 'month' }, overage: 'bill', credits: true },
    },
  ],
  defaultPlan: 'metered',
  costs: { default: 2, chargeOn: 'success' },
};

describe.skipIf(skip !== undefined)('Redis Cluster store (three masters)', () => {
  let cluster: RedisCluster;
  let admin: Cluster;
  let store: RedisStore;
  let engine: Engine;
  const clock = new ManualClock(CLOCK);

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    admin = new Cluster(cluster.nodeList.split(','));
    store = createRedisStore({ kind: 'redis-cluster', nodes: cluster.nodeList.split(','), keyPrefix: 'tollgate', timeoutMs: 2000 });
    const compiled = createEngine(config, store, clock);
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    engine = compiled.engine;
  });
  afterAll(async () => {
    await store.close();
    await admin.quit();
    await cluster.close();
  });

  async function send(username: string, upstreamStatus = 200): Promise<number> {
    const decision = await engine.decide({ method: 'GET', path: '/v1/forecast', headers: {}, query: {}, clientIp: '192.0.2.1', consumer: { username }, credentialId: `key-${username}` });
    expect(decision.log.degraded).toBeUndefined();
    if (decision.kind !== 'allow') return decision.status;
    if (decision.followUp !== undefined) await engine.complete(decision.followUp, upstreamStatus);
    return upstreamStatus;
  }

  it('decides: rate windows, credits, and holds given back on a 5xx', async () => {
    const accounts = createAccounts(store, clock);
    for (const name of CONSUMERS) await accounts.changeCredits(name, 'grant', 7);
    for (const name of CONSUMERS) {
      // cost 2 from 7 credits: 200, a 503 (its 2 credits given back), 200, 200, then the second window is full.
      expect([await send(name), await send(name, 503), await send(name), await send(name)]).toEqual([200, 503, 200, 429]);
      expect((await accounts.show(name)).credits).toBe(7 - 2 * 2);
      // Two seconds on, the sliding second window no longer weighs the full one before it.
      clock.advance(2000);
      // 3 credits left: one more admission, then not enough for the next.
      expect([await send(name), await send(name)]).toEqual([200, 402]);
      expect((await accounts.show(name)).credits).toBe(1);
    }
  });

  it('keeps every key of one account in one slot, and spreads accounts over the masters', async () => {
    const keys: string[] = [];
    const nodesWithKeys = new Set<string>();
    for (const node of admin.nodes('master')) {
      const found = await node.keys('tollgate{*');
      keys.push(...found);
      if (found.length > 0) nodesWithKeys.add(`${node.options.host ?? ''}:${String(node.options.port)}`);
    }
    const byAccount = new Map<string, string[]>();
    for (const key of keys) {
      const account = key.slice('tollgate{'.length, key.indexOf('}'));
      byAccount.set(account, [...(byAccount.get(account) ?? []), key]);
    }
    expect([...byAccount.keys()].sort()).toEqual(CONSUMERS.map(accountId).sort());
    for (const [account, accountKeys] of byAccount) {
      const kinds = new Set(accountKeys.map((k) => k.slice(k.indexOf('}') + 2).split(':')[0]));
      // Every hold was committed or released: neither its ledger hash (l) nor the open-hold set (h)
      // is left; an account whose hold committed also has its usage outbox (u), in the same slot (below).
      expect([...kinds].filter((kind) => kind !== 'u').sort(), account).toEqual(['a', 'q', 'w']);
      const slots = new Set(await Promise.all(accountKeys.map((k) => admin.cluster('KEYSLOT', k))));
      const tagSlot = await admin.cluster('KEYSLOT', account);
      expect([...slots], account).toEqual([tagSlot]);
    }
    expect(nodesWithKeys.size).toBeGreaterThanOrEqual(2);
  });

  it('sends the admissions queued in one event-loop turn as one script call per account (one slot per call)', async () => {
    const rules = compileRouteRules({ ...BASE_CONFIG, policy: 'cluster-batches', plans: [{ name: 'hourly', plan: { rateLimit: { hour: 50 } } }] })('forecast', 'GET');
    const accounts = ['ivan', 'judy', 'mallory'];
    const each = 100;
    const admit = (account: string) => store.admit({ account, scope: '', fallbackPlan: 'hourly', now: CLOCK, rules });
    // Every master knows the script from here on: every call is an EVALSHA.
    for (const account of accounts) await admit(account);
    const { sent } = await monitorCommands(admin.nodes('master'), async () => {
      const results = await Promise.all(Array.from({ length: accounts.length * each }, (_, i) => admit(accounts[i % accounts.length] as string)));
      for (const account of accounts) {
        const allowed = results.filter((r, i) => accounts[i % accounts.length] === account && r.outcome === 'allowed');
        // 50 an hour, one of them taken above.
        expect(allowed, account).toHaveLength(49);
      }
    });
    expect(sent).toEqual({ evalsha: accounts.length * Math.ceil(each / MAX_BATCH) });
  });

  it('keeps a once-only account patch and its idempotency key in the account\'s slot', async () => {
    const account = accountId('acme-weather');
    expect((await store.updateAccountOnce(account, { plan: 'pro' }, 'stripe-event:evt_1', CLOCK)).kind).toBe('applied');
    const keys = (await Promise.all(admin.nodes('master').map((node) => node.keys(`tollgate{${account}}*`)))).flat();
    expect(keys.sort()).toEqual([`tollgate{${account}}:a`, `tollgate{${account}}:l:stripe-event:evt_1`]);
    const tagSlot = await admin.cluster('KEYSLOT', account);
    for (const key of keys) expect(await admin.cluster('KEYSLOT', key), key).toBe(tagSlot);
  });
});
