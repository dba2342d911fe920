// Identities the client controls, against a real redis-server: a header it chooses and the
// gateway's anonymous consumer must never buy it a fresh account. 200 decisions in flight at once
// (the store batches them), then the counters in Redis are read back.
import { describe, expect, it } from 'vitest';
import { ANONYMOUS_CONSUMER } from '../packages/compiler/src/index.js';
import { createEngine, ManualClock, type Decision, type EngineConfig, type RequestFacts } from '../packages/engine/src/index.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { flushAll, redisSkipReason, useRedisServer } from './support/redis.js';
import { BASE_CONFIG } from './support/vectors.js';

const skip = redisSkipReason();
const NOW = Date.UTC(2026, 2, 10, 12, 0, 30);
const REQUESTS = 200;
const LIMIT = 5;
const OFFER = { price: '0.01', asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', network: 'eip155:84532', payTo: '0x3333333333333333333333333333333333333333' };

const limited = (identity: EngineConfig['identity'], members: Partial<EngineConfig> = {}): EngineConfig => ({
  ...BASE_CONFIG,
  identity,
  plans: [{ name: 'metered', plan: { rateLimit: { minute: LIMIT } } }],
  defaultPlan: 'metered',
  ...members,
});

const facts = (i: number, members: Partial<RequestFacts>): RequestFacts => ({ method: 'GET', path: '/v1/forecast', headers: {}, query: {}, clientIp: '198.51.100.1', requestId: `r${String(i)}`, ...members });

describe.skipIf(skip !== undefined)(skip ?? 'client-controlled identities on a real redis-server', () => {
  const redis = useRedisServer();

  async function decideAll(config: EngineConfig, each: (i: number) => Partial<RequestFacts>): Promise<Decision[]> {
    await flushAll(redis.admin);
    const settings = { kind: 'redis', url: redis.server.url, keyPrefix: 'identity', timeoutMs: 5000, onFailure: 'closed' } as const;
    const store = createRedisStore(settings);
    // Connected before the burst; a store failure would be a 503, never an allowed request.
    await store.getAccount('warm-up');
    const compiled = createEngine({ ...config, store: settings }, store, new ManualClock(NOW));
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    const { engine } = compiled;
    try {
      return await Promise.all(Array.from({ length: REQUESTS }, async (_, i) => engine.decide(facts(i, each(i)))));
    } finally {
      await store.close();
    }
  }

  const allowed = (decisions: readonly Decision[]) => decisions.filter((d) => d.kind === 'allow').length;
  const keys = async () => (await redis.admin.keys('identity*')).sort();

  it('key-auth + limitBy header: a new X-Tenant on every request still gets exactly the consumer’s limit', async () => {
    const config = limited({ auth: 'key-auth', limitBy: 'header', header: 'X-Tenant' });
    const decisions = await decideAll(config, (i) => ({ consumer: { username: 'alice' }, credentialId: 'key-alice', headers: { 'x-tenant': `tenant-${String(i)}` } }));
    expect(allowed(decisions)).toBe(LIMIT);
    expect(decisions.filter((d) => d.kind === 'deny' && d.reason === 'rate-limited')).toHaveLength(REQUESTS - LIMIT);
    // No account, window or credit record was made for any header value.
    expect((await keys()).filter((key) => key.includes('tenant-'))).toEqual([]);
  });

  it('key-auth + anonymous: the anonymous consumer from 200 addresses is challenged every time and nothing is counted for it', async () => {
    const config: EngineConfig = { ...BASE_CONFIG, identity: { auth: 'key-auth', limitBy: 'consumer', anonymous: true, anonymousConsumer: ANONYMOUS_CONSUMER }, payment: { x402: OFFER } };
    const decisions = await decideAll(config, (i) => ({ consumer: { id: 'c0ffee', username: ANONYMOUS_CONSUMER }, clientIp: `10.0.${String(i >> 8)}.${String(i & 255)}` }));
    expect(decisions.map((d) => (d.kind === 'deny' ? `${d.status} ${d.reason}` : 'allow'))).toEqual(Array<string>(REQUESTS).fill('402 payment-required'));
    expect(await keys()).toEqual([]);
  });

  it('key-auth + anonymous + limitBy ip: anonymous callers count per address, never as one shared caller', async () => {
    const config = limited({ auth: 'key-auth', limitBy: 'ip', anonymous: true, anonymousConsumer: ANONYMOUS_CONSUMER }, { plans: [{ name: 'metered', plan: { rateLimit: { minute: 1 } } }], payment: { x402: OFFER } });
    // 100 addresses, two requests each: the first of each is allowed, the second is not.
    const decisions = await decideAll(config, (i) => ({ consumer: { id: 'c0ffee', username: ANONYMOUS_CONSUMER }, clientIp: `10.1.0.${String(i % 100)}` }));
    expect(allowed(decisions)).toBe(REQUESTS / 2);
    expect((await keys()).some((key) => key.includes(ANONYMOUS_CONSUMER))).toBe(false);
  });
});
