// Redis-store behaviour the conformance vectors cannot see: EVAL only after the server lost its
// scripts (counted by the server), first calls on a store that is still connecting, a server that
// is not there, and closing. How admissions share script calls: engine-redis-batches.test.ts.
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { compileRouteRules } from '../packages/engine/src/compile/route-rules.js';
import type { Admission } from '../packages/engine/src/index.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { freePort, monitorCommands, redisSkipReason, useRedisServer } from './support/redis.js';
import { BASE_CONFIG } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const rules = compileRouteRules({
  ...BASE_CONFIG,
  plans: [{ name: 'pro', plan: { rateLimit: { second: 1000, minute: 10_000, window: 'sliding' }, quota: { requests: 100_000, per: 'month' }, credits: true } }],
})('forecast', 'GET');
const admission = (account: string): Admission => ({ account, scope: '', fallbackPlan: 'pro', now: NOW, rules });

describe.skipIf(skip !== undefined)('Redis store', () => {
  const redis = useRedisServer();

  it('answers the first calls of a store that is still connecting', async () => {
    const store = createRedisStore({ kind: 'redis', url: redis.server.url, keyPrefix: 'first', timeoutMs: 1000 });
    try {
      const [changed, result] = await Promise.all([store.changeCredits('alice', { operation: 'grant', amount: 5, now: NOW }), store.admit(admission('zoe'))]);
      expect(changed).toEqual({ kind: 'applied', balance: 5 });
      expect(result.outcome).toBe('insufficient-credits');
    } finally {
      await store.close();
    }
  });

  it('falls back to EVAL once when the server lost its scripts, then uses EVALSHA again', async () => {
    const store = createRedisStore({ kind: 'redis', url: redis.server.url, keyPrefix: 'noscript', timeoutMs: 1000 });
    try {
      await store.admit(admission('alice'));
      await redis.admin.script('FLUSH');
      const { sent } = await monitorCommands([redis.admin], async () => {
        expect((await store.admit(admission('alice'))).outcome).toBe('insufficient-credits');
        expect((await store.admit(admission('alice'))).outcome).toBe('insufficient-credits');
      });
      // EVALSHA answered NOSCRIPT, EVAL ran it (and loaded it), the next EVALSHA found it.
      expect(sent).toEqual({ evalsha: 2, eval: 1 });
    } finally {
      await store.close();
    }
  });

  it('clears account fields with null and reads missing accounts as zero credits', async () => {
    const store = createRedisStore({ kind: 'redis', url: redis.server.url, keyPrefix: 'acct', timeoutMs: 1000 });
    try {
      expect(await store.getAccount('nobody')).toEqual({ credits: 0 });
      expect(await store.updateAccount('carol', { plan: 'pro', status: 'active', paidThrough: NOW, periodAnchor: NOW - 1 })).toEqual({
        plan: 'pro',
        status: 'active',
        paidThrough: NOW,
        periodAnchor: NOW - 1,
        credits: 0,
      });
      expect(await store.updateAccount('carol', { plan: null, paidThrough: null })).toEqual({ status: 'active', periodAnchor: NOW - 1, credits: 0 });
      expect(await store.getAccount('carol')).toEqual({ status: 'active', periodAnchor: NOW - 1, credits: 0 });
    } finally {
      await store.close();
    }
  });

  it('fails fast, with the reason, when nothing listens; closes without hanging', async () => {
    const port = await freePort();
    const store = createRedisStore({ kind: 'redis', url: `redis://127.0.0.1:${port}`, keyPrefix: 'down', timeoutMs: 50 });
    const started = performance.now();
    await expect(store.admit(admission('alice'))).rejects.toThrow(/redis/);
    await expect(store.getAccount('alice')).rejects.toThrow(/ECONNREFUSED|unreachable/);
    expect(performance.now() - started).toBeLessThan(1500);
    await store.close();
    await expect(store.admit(admission('alice'))).rejects.toThrow(/closed/);
  });
});
