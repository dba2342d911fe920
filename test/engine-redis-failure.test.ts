// Redis going away mid-run: every decision still returns within the policy's timeout (plus a small
// margin for a shared machine), as the configured failure mode — allowed and marked (open) or 503
// store-unavailable (closed) — and decisions are correct again once Redis is back. Both an abrupt
// stop (connections refused) and a hung server (SIGSTOP: connections open, nothing answers).
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, DEGRADED_HEADER, systemClock, type Decision, type Engine, type EngineConfig } from '../packages/engine/src/index.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import type { RedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { RedisServer, redisSkipReason } from './support/redis.js';
import { BASE_CONFIG } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const TIMEOUT_MS = 50;
/** Allowance for timers firing late on a loaded, shared 2-core machine running other suites. */
const MARGIN_MS = 150;
const IN_FLIGHT = 20;
const LIMIT = 5;

type Mode = 'open' | 'closed';

interface Timed {
  readonly decision: Decision;
  readonly ms: number;
}

describe.skipIf(skip !== undefined).each<Mode>(['open', 'closed'])('Redis unavailable, onFailure: %s', (mode) => {
  let server: RedisServer;
  let store: RedisStore;
  let engine: Engine;
  let user = 0;

  beforeAll(async () => {
    server = await RedisServer.start();
    const config: EngineConfig = {
      ...BASE_CONFIG,
      plans: [{ name: 'free', plan: { rateLimit: { hour: LIMIT } } }],
      defaultPlan: 'free',
      store: { kind: 'redis', url: server.url, onFailure: mode, timeoutMs: TIMEOUT_MS },
    };
    store = createRedisStore({ kind: 'redis', url: server.url, keyPrefix: 'tollgate', timeoutMs: TIMEOUT_MS });
    const compiled = createEngine(config, store, systemClock);
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    engine = compiled.engine;
  });
  afterAll(async () => {
    await store.close();
    await server.close();
  });

  async function decide(username: string): Promise<Timed> {
    const started = performance.now();
    const decision = await engine.decide({ method: 'GET', path: '/v1/forecast', headers: {}, query: {}, clientIp: '192.0.2.1', consumer: { username } });
    return { decision, ms: performance.now() - started };
  }

  /** A fresh consumer gets exactly LIMIT admissions, then 429: the store is counting correctly. */
  async function expectCorrectDecisions(): Promise<void> {
    const username = `user-${++user}`;
    const statuses: (number | string)[] = [];
    for (let i = 0; i <= LIMIT; i++) {
      const { decision } = await decide(username);
      expect(decision.log.degraded).toBeUndefined();
      statuses.push(decision.kind === 'allow' ? 200 : decision.status);
    }
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(200), 429]);
  }

  function expectFailureMode(timed: Timed): void {
    const { decision } = timed;
    if (mode === 'open') {
      expect(decision.kind).toBe('allow');
      if (decision.kind === 'allow') expect(decision.responseHeaders[DEGRADED_HEADER]).toBe('store-unavailable');
    } else {
      expect(decision.kind === 'deny' && decision.status).toBe(503);
      expect(decision.log.reason).toBe('store-unavailable');
    }
    expect(decision.log.degraded).toBe(mode);
  }

  function expectBoundedFailures(taken: readonly Timed[]): void {
    const failed = taken.filter((t) => t.decision.log.degraded !== undefined);
    const slowest = Math.max(...taken.map((t) => t.ms));
    console.info(`onFailure ${mode}: ${taken.length} decisions during the outage, ${failed.length} by the failure mode, slowest ${slowest.toFixed(1)} ms`);
    expect(failed.length).toBeGreaterThan(IN_FLIGHT);
    for (const t of failed) expectFailureMode(t);
    expect(slowest).toBeLessThanOrEqual(TIMEOUT_MS + MARGIN_MS);
  }

  /** Runs IN_FLIGHT decision loops while `outage` happens; returns every decision taken during it. */
  async function duringOutage(begin: () => Promise<void> | void, durationMs: number): Promise<Timed[]> {
    const taken: Timed[] = [];
    let running = true;
    const loops = Array.from({ length: IN_FLIGHT }, async (_, lane) => {
      while (running) {
        taken.push(await decide(`busy-${user}-${lane}`));
        // Steady traffic (a few thousand decisions/s), not a busy loop: a refused connection fails
        // in microtasks only, and a loop that never yields would starve the timers it measures.
        await new Promise((r) => setTimeout(r, 2));
      }
    });
    await new Promise((r) => setTimeout(r, 100));
    const before = taken.length;
    await begin();
    await new Promise((r) => setTimeout(r, durationMs));
    running = false;
    await Promise.all(loops);
    return taken.slice(before);
  }

  async function waitUntilHealthy(): Promise<number> {
    const started = performance.now();
    for (;;) {
      const { decision } = await decide(`probe-${user}`);
      if (decision.log.degraded === undefined) return performance.now() - started;
      if (performance.now() - started > 10_000) throw new Error('decisions did not recover within 10 s of Redis coming back');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('decides correctly while Redis is up', async () => {
    await expectCorrectDecisions();
  });

  it('stopped mid-run: the failure mode within the timeout, then correct decisions once it is back', async () => {
    const taken = await duringOutage(() => server.stop(), 1000);
    expectBoundedFailures(taken);

    await server.resume();
    await waitUntilHealthy();
    await expectCorrectDecisions();
  });

  it('hung (nothing answers): the failure mode within the timeout, then correct decisions once it answers again', async () => {
    const taken = await duringOutage(() => {
      server.pause();
    }, 1500);
    server.unpause();
    expectBoundedFailures(taken);

    await waitUntilHealthy();
    await expectCorrectDecisions();
  });
});
