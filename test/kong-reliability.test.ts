// The plugin server killed mid-run: Kong respawns it, the next request meets "no plugin
// instance", every worker starts its instance again and decisions resume. With the Redis store the
// credits spent must equal the requests Tollgate admitted — none charged twice, none lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts, ManualClock, STORE_FACTORIES, type EngineConfig } from '../packages/engine/src/index.js';
import type { KongResponse } from './support/kong-harness/index.js';
import { authenticated, startTollgateKong, type TollgateKong } from './support/kong-plugin.js';
import { RedisServer, redisSkipReason } from './support/redis.js';

const BASE: EngineConfig = {
  version: 1,
  policy: 'reliability',
  routes: [{ name: 'forecast', paths: ['/v1/forecast'] }],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [{ name: 'prepaid', plan: { credits: true } }],
  defaultPlan: 'prepaid',
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
};

const KILL_AT = 20;
const DECIDED_AFTER_RECOVERY = 20;
const RECOVERY_DEADLINE_MS = 20_000;
const request = authenticated({ method: 'GET', path: '/v1/forecast' }, 'alice');

/** Tollgate decided (allow or deny) as opposed to Kong proxying past a dead plugin server. */
const decided = (r: KongResponse) => r.access.result.kind === 'ret' || r.access.result.kind === 'exit';

/** KILL_AT requests, a SIGKILL, then requests until DECIDED_AFTER_RECOVERY decided ones in a row. */
async function runThroughKill(t: TollgateKong, config: EngineConfig): Promise<KongResponse[]> {
  const row = t.row(config);
  const responses: KongResponse[] = [];
  const send = async () => {
    const response = await t.kong.request(request, row, { upstream: () => ({ status: 200 }) });
    responses.push(response);
    return response;
  };
  for (let i = 0; i < KILL_AT; i++) await send();
  t.kong.server.kill();
  const deadline = Date.now() + RECOVERY_DEADLINE_MS;
  for (let streak = 0; streak < DECIDED_AFTER_RECOVERY; ) {
    if (Date.now() > deadline) throw new Error(`no recovery within ${RECOVERY_DEADLINE_MS} ms:\n${t.kong.server.output.join('\n')}`);
    if (decided(await send())) streak += 1;
    // Keep sending while Kong's respawn (at most once a second) brings the server back.
    else await new Promise((r) => setTimeout(r, 50));
  }
  await t.kong.settled();
  return responses;
}

describe('plugin server killed mid-run (OSS failure model)', () => {
  let t: TollgateKong;
  beforeAll(async () => {
    t = await startTollgateKong({ workers: 2 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('proxies without a decision while it is down, then every worker recovers', async () => {
    const config: EngineConfig = { ...BASE, plans: [{ name: 'free', plan: { rateLimit: { minute: 1000 } } }], defaultPlan: 'free' };
    const responses = await runThroughKill(t, config);
    expect(t.kong.server.spawns).toBe(2);
    expect(responses.slice(0, KILL_AT).every(decided)).toBe(true);
    // Kong OSS proxies when HandleEvent fails on a dead socket: no decision, no RateLimit header.
    const outage = responses.slice(KILL_AT).filter((r) => !decided(r));
    expect(outage.length).toBeGreaterThan(0);
    for (const r of outage) expect(r).toMatchObject({ status: 200, source: 'upstream', access: { result: { kind: 'rpc-error' } } });
    const tail = responses.slice(-DECIDED_AFTER_RECOVERY);
    expect(tail.every(decided)).toBe(true);
    expect(tail.every((r) => r.headers.ratelimit !== undefined)).toBe(true);
    // Both workers had to start a new instance on the new server.
    const restarts = responses.slice(KILL_AT).filter((r) => r.access.rpcs.includes('plugin.StartInstance'));
    expect(restarts.length).toBeGreaterThanOrEqual(2);
  });
});

const redisReason = redisSkipReason() ?? (STORE_FACTORIES.redis === undefined ? 'the redis store is not registered in STORE_FACTORIES yet' : undefined);

describe.skipIf(redisReason !== undefined)(redisReason === undefined ? 'plugin server killed mid-run, Redis store' : `plugin server killed mid-run, Redis store — SKIPPED: ${redisReason}`, () => {
  let redis: RedisServer;
  let t: TollgateKong;
  beforeAll(async () => {
    redis = await RedisServer.start();
    t = await startTollgateKong({ workers: 2, env: { TOLLGATE_REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await t.close();
    await redis.close();
  });

  it('charges exactly the requests Tollgate admitted: none twice, none lost', async () => {
    const config: EngineConfig = { ...BASE, store: { kind: 'redis', url: { env: 'TOLLGATE_REDIS_URL' }, keyPrefix: 'kill' } };
    const store = STORE_FACTORIES.redis?.({ kind: 'redis', url: redis.url, keyPrefix: 'kill', timeoutMs: 1000 });
    if (store === undefined) throw new Error('no redis store');
    const accounts = createAccounts(store, new ManualClock(Date.now()));
    await accounts.changeCredits('alice', 'grant', 1000);
    try {
      const responses = await runThroughKill(t, config);
      const admitted = responses.filter((r) => decided(r) && r.status === 200).length;
      expect(admitted).toBeGreaterThan(KILL_AT);
      expect((await accounts.show('alice')).credits).toBe(1000 - admitted);
    } finally {
      await store.close();
    }
  });
});
