// Item 12.1: a request the engine answered with a refusal (onFailure: closed, 503
// store-unavailable) is never charged, counted or claimed, whatever the timing of the admission
// it abandoned: scripts delayed by a hung server (SIGSTOP) that run once it resumes, a reply lost
// with a killed connection after the script ran, an x402 replay claim that lands after the 503.
// Invariant, asserted exactly: once the engine is drained, credits, quota and window counters
// equal what the allowed answers consumed, and an abandoned payment can be presented again.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRouteRules } from '../packages/engine/src/compile/route-rules.js';
import { createAccounts, createEngine, systemClock, type Decision, type Engine, type EngineConfig, type Store } from '../packages/engine/src/index.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { RedisCluster, RedisServer, redisSkipReason } from './support/redis.js';
import { decide, engineOn } from './support/engine.js';
import { RedisProxy } from './support/tcp-proxy.js';
import { BASE_CONFIG, factsOf } from './support/vectors.js';
import { paymentHeader, paymentPayloadV2, testPayer, testRequirements } from './support/x402-client.js';
import { removeFacilitatorBundle, startFacilitatorProcess, type FacilitatorProcess } from './support/x402-facilitator-process.js';
import { x402Policy } from './support/x402-policy.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const TIMEOUT_MS = 50;
const COST = 10;
const CREDITS = 1000;
const LIMIT = 1000;
const IN_FLIGHT = 20;
const PAUSE_MS = 300;
const HOST = 'api.example.com';
const RESOURCE = `http://${HOST}/v1/forecast`;

function configOn(store: EngineConfig['store']): EngineConfig {
  return {
    ...BASE_CONFIG,
    policy: 'refused',
    plans: [{ name: 'prepaid', plan: { rateLimit: { hour: LIMIT }, quota: { requests: LIMIT, per: 'month' }, credits: true } }],
    defaultPlan: 'prepaid',
    costs: { default: COST },
    store: { ...store, onFailure: 'closed', timeoutMs: TIMEOUT_MS },
  };
}


/**
 * Decides until one is allowed (a loaded machine may miss the 50 ms timeout: each such refusal is
 * voided, so only the allowed one counts) and returns it; refuses to accept any other refusal.
 */
async function allowedOnce(engine: Engine, next: () => Promise<Decision>): Promise<Decision> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const decision = await next();
    if (decision.kind === 'allow') return decision;
    expect(decision.reason).toBe('store-unavailable');
    await engine.drained();
  }
  throw new Error('no decision was allowed in 20 attempts');
}

/** What the account has consumed, read by one more admission straight at the store (it consumes one more). */
async function consumed(store: Store, config: EngineConfig, account: string) {
  const rules = compileRouteRules(config)('forecast', 'GET');
  const result = await store.admit({ account, scope: '', fallbackPlan: 'prepaid', now: Date.now(), rules });
  expect(result.outcome).toBe('allowed');
  return { credits: result.account.credits + COST, quotaUsed: (result.quotas[0]?.used ?? 0) - 1, windowUsed: LIMIT - (result.windows[0]?.remaining ?? 0) - 1 };
}

let server: RedisServer | undefined;
let cluster: RedisCluster | undefined;
const started = <T>(value: T | undefined): T => {
  if (value === undefined) throw new Error('the Redis processes are started in beforeAll');
  return value;
};
const stores: Store[] = [];

beforeAll(async () => {
  if (skip !== undefined) return;
  [server, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start()]);
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all([server?.close(), cluster?.close()]);
});

describe.skipIf(skip !== undefined).each(['redis', 'redis-cluster'] as const)('%s, onFailure closed', (kind) => {
  let store: Store;
  let config: EngineConfig;
  let engine: Engine;
  const processes = (): readonly RedisServer[] => (kind === 'redis' ? [started(server)] : started(cluster).nodes);
  const pause = (): void => {
    for (const p of processes()) p.pause();
  };
  const unpause = (): void => {
    for (const p of processes()) p.unpause();
  };

  beforeAll(() => {
    config = configOn(kind === 'redis' ? { kind, url: started(server).url } : { kind: 'redis-cluster', nodes: started(cluster).nodeList });
    store = createRedisStore(
      kind === 'redis'
        ? { kind, url: started(server).url, keyPrefix: 'tollgate', timeoutMs: TIMEOUT_MS }
        : { kind, nodes: started(cluster).nodeList.split(','), keyPrefix: 'tollgate', timeoutMs: TIMEOUT_MS },
    );
    stores.push(store);
    engine = engineOn(config, store);
  });

  it(`SIGSTOP during ${String(IN_FLIGHT)} credit-drawing requests: all 503, and nothing is drawn or counted once the server resumes`, async () => {
    const accounts = createAccounts(store, systemClock);
    await accounts.changeCredits('stalled', 'grant', CREDITS);
    await allowedOnce(engine, () => decide(engine, 'stalled'));

    pause();
    const refused = Promise.all(Array.from({ length: IN_FLIGHT }, () => decide(engine, 'stalled')));
    await new Promise((r) => setTimeout(r, PAUSE_MS));
    unpause();
    const decisions = await refused;
    expect(decisions.map((d) => (d.kind === 'deny' ? d.status : 200))).toEqual(Array<number>(IN_FLIGHT).fill(503));
    await engine.drained();

    expect(await consumed(store, config, 'stalled')).toEqual({ credits: CREDITS - COST, quotaUsed: 1, windowUsed: 1 });
  });
});

describe.skipIf(skip !== undefined)('reply lost with a killed connection after the script ran (redis, onFailure closed)', () => {
  let admin: Redis;
  let proxy: RedisProxy;
  let store: Store;
  let config: EngineConfig;
  let engine: Engine;

  beforeAll(async () => {
    admin = new Redis(started(server).url);
    proxy = await RedisProxy.start(started(server).port, admin);
    config = configOn({ kind: 'redis', url: proxy.url });
    store = createRedisStore({ kind: 'redis', url: proxy.url, keyPrefix: 'tollgate', timeoutMs: TIMEOUT_MS });
    stores.push(store);
    engine = engineOn(config, store);
  });
  afterAll(async () => {
    await proxy.close();
    await admin.quit();
  });

  it('answers 503 and voids exactly what the script consumed', async () => {
    const accounts = createAccounts(store, systemClock);
    await accounts.changeCredits('lost-reply', 'grant', CREDITS);
    await allowedOnce(engine, () => decide(engine, 'lost-reply'));

    const lost = proxy.arm('lose-next-reply');
    const decision = await decide(engine, 'lost-reply');
    await lost;
    expect(decision.kind === 'deny' && decision.status).toBe(503);
    // The script did run: its writes are there until the void lands.
    await engine.drained();

    expect(await consumed(store, config, 'lost-reply')).toEqual({ credits: CREDITS - COST, quotaUsed: 1, windowUsed: 1 });
  });
});

describe.skipIf(skip !== undefined)('x402 replay claim abandoned (redis, onFailure closed)', () => {
  let facilitator: FacilitatorProcess;
  let store: Store;
  let engine: Engine;

  beforeAll(async () => {
    facilitator = await startFacilitatorProcess();
    const url = started(server).url;
    store = createRedisStore({ kind: 'redis', url, keyPrefix: 'tollgate', timeoutMs: TIMEOUT_MS });
    stores.push(store);
    const compiled = createEngine(x402Policy(facilitator.url, { store: { kind: 'redis', url, onFailure: 'closed', timeoutMs: TIMEOUT_MS } }), store, systemClock, {
      facilitatorTimeouts: { verifyMs: 3000, settleMs: 3000 },
    });
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    engine = compiled.engine;
    await store.getAccount('warm-up');
  });
  afterAll(async () => {
    await facilitator.stop();
    removeFacilitatorBundle();
  });

  it('a payment whose claim landed after the 503 can be presented again', async () => {
    const header = paymentHeader(await paymentPayloadV2(testPayer(), testRequirements(), RESOURCE));
    const request = factsOf({ method: 'GET', path: '/v1/forecast', host: HOST, headers: { [header.name]: header.value } });
    // The claim is sent once the facilitator verified the payment: Redis stays stalled until the
    // engine answered, so the claim runs only after that.
    started(server).pause();
    const decision = await engine.decide(request);
    started(server).unpause();
    expect(decision.kind === 'deny' && decision.reason).toBe('store-unavailable');
    await engine.drained();

    // Never payment-invalid (payment_already_used): the abandoned claim was forgotten.
    await allowedOnce(engine, () => Promise.resolve(engine.decide(request)));
  });
});
