// Item 12.3: a `chargeOn: success` request whose upstream succeeded is never free. A completion
// whose connection is reset under it (the command lost before it reached Redis, or the commit run
// and its reply lost) is retried, idempotent by hold id, until it lands: the hold is committed
// exactly once, and expiry gives nothing back.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts, createEngine, HOLD_TTL_MS, ManualClock, type Engine, type EngineConfig, type Store } from '../packages/engine/src/index.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { RedisServer, redisSkipReason } from './support/redis.js';
import { RedisProxy } from './support/tcp-proxy.js';
import { BASE_CONFIG, factsOf } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const CREDITS = 100;
const COST = 3;

describe.skipIf(skip !== undefined).each(['lose-next-command', 'lose-next-reply'] as const)('completion on a reset connection (%s)', (fault) => {
  let server: RedisServer;
  let admin: Redis;
  let proxy: RedisProxy;
  let store: Store;
  let engine: Engine;
  const clock = new ManualClock(Date.UTC(2026, 2, 10, 12, 0, 0));

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
    proxy = await RedisProxy.start(server.port, admin);
    const config: EngineConfig = {
      ...BASE_CONFIG,
      policy: 'retried',
      plans: [{ name: 'prepaid', plan: { credits: true } }],
      defaultPlan: 'prepaid',
      costs: { default: COST, chargeOn: 'success' },
      store: { kind: 'redis', url: proxy.url, onFailure: 'closed', timeoutMs: 1000 },
    };
    store = createRedisStore({ kind: 'redis', url: proxy.url, keyPrefix: 'tollgate', timeoutMs: 1000 });
    const compiled = createEngine(config, store, clock);
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    engine = compiled.engine;
  });
  afterAll(async () => {
    await store.close();
    await proxy.close();
    await admin.quit();
    await server.close();
  });

  it('commits exactly once: the charge stays after the hold would have expired', async () => {
    const accounts = createAccounts(store, clock);
    await accounts.changeCredits('alice', 'grant', CREDITS);
    const decision = await engine.decide(factsOf({ method: 'GET', path: '/v1/forecast', consumer: 'alice' }));
    if (decision.kind !== 'allow' || decision.followUp === undefined) throw new Error('expected an allow with a hold');

    const lost = proxy.arm(fault);
    const completion = await engine.complete(decision.followUp, 200);
    await lost;
    expect(completion.hold.kind).toBe('failed');
    await engine.drained();

    // Past the hold's expiry: an open hold would be given back now; a committed one stays charged.
    clock.set(clock.now() + HOLD_TTL_MS + 1);
    expect(await accounts.changeCredits('alice', 'grant', 1)).toMatchObject({ kind: 'applied', balance: CREDITS - COST + 1 });
  });
});
