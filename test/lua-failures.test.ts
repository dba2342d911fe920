// The Lua adapters when the sidecar is not there, too slow, restarted or shutting down, with the
// real sidecar process, Debian's nginx and a real upstream. The policy's onFailure decides what a
// request gets when the sidecar cannot answer, within the adapter's timeout (never a hung worker);
// a restarted sidecar is registered with again and decides; a sidecar shutting down answers every
// request it received (a paused Redis holds them in flight across the SIGTERM).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineConfig } from '../packages/engine/src/index.js';
import { luaSkipReason, send, startNginx, startUpstream, type Gateway, type LuaNginx, type RecordingUpstream } from './support/lua-nginx.js';
import { RedisServer, redisSkipReason } from './support/redis.js';
import { removeSidecarBundle, startSidecar } from './support/sidecar.js';

const luaSkip = luaSkipReason();
const redisSkip = redisSkipReason();
const TIMEOUT_MS = 300;

const policy = (onFailure: 'open' | 'closed', store: EngineConfig['store'] = { kind: 'memory' }): EngineConfig => ({
  version: 1,
  policy: `failures-${onFailure}`,
  routes: [{ name: 'r', paths: ['/r'] }],
  identity: { auth: 'none', limitBy: 'ip' },
  plans: [{ name: 'free', plan: { rateLimit: { minute: 1000 } } }],
  defaultPlan: 'free',
  consumerPlans: {},
  costs: {},
  store: { ...store, onFailure },
});

let dir: string;
let upstream: RecordingUpstream;
let count = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lua-failures-'));
  chmodSync(dir, 0o755);
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
  removeSidecarBundle();
});

async function withNginx(gateway: Gateway, config: EngineConfig, socketPath: string, run: (nginx: LuaNginx) => Promise<void>, timeout = TIMEOUT_MS): Promise<void> {
  count += 1;
  const nginx = await startNginx({ dir: join(dir, `${gateway}-${String(count)}`), gateway, conf: { policy: JSON.stringify(config), socket: socketPath, timeout }, upstreamPort: upstream.port });
  try {
    await run(nginx);
  } finally {
    await nginx.stop();
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe.skipIf(luaSkip !== undefined).each(['kong', 'apisix'] as const)(luaSkip === undefined ? '%s Lua adapter' : `%s Lua adapter — SKIPPED: ${luaSkip}`, (gateway) => {
  it('sidecar down: fail-open lets the request through marked degraded; fail-closed answers 503', async () => {
    const socketPath = join(dir, `absent-${gateway}.sock`);
    await withNginx(gateway, policy('open'), socketPath, async (nginx) => {
      const reply = await send(nginx.port, 'GET', '/r');
      expect(reply.status).toBe(200);
      expect(reply.headers['tollgate-degraded']).toBe('sidecar-unavailable');
    });
    await withNginx(gateway, policy('closed'), socketPath, async (nginx) => {
      const reply = await send(nginx.port, 'GET', '/r');
      expect(reply.status).toBe(503);
      expect(reply.headers['retry-after']).toBe('1');
      expect(JSON.parse(reply.body)).toMatchObject({ status: 503, title: 'Service unavailable' });
    });
  });

  it('sidecar hung (SIGSTOP): the policy decides within the timeout, and decisions resume with it', async () => {
    const socketPath = join(dir, `slow-${gateway}.sock`);
    const sidecar = await startSidecar(socketPath, { TOLLGATE_LOG_LEVEL: 'error' });
    try {
      for (const onFailure of ['open', 'closed'] as const) {
        await withNginx(gateway, policy(onFailure), socketPath, async (nginx) => {
          expect((await send(nginx.port, 'GET', '/r')).headers.ratelimit).toBeDefined();
          sidecar.child.kill('SIGSTOP');
          const { value: reply, ms } = await timed(() => send(nginx.port, 'GET', '/r'));
          sidecar.child.kill('SIGCONT');
          expect(reply.status).toBe(onFailure === 'open' ? 200 : 503);
          // One read timeout, plus scheduling slack on a busy machine; never the 60 s nginx default.
          expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
          expect(ms).toBeLessThan(TIMEOUT_MS + 1500);
          const after = await send(nginx.port, 'GET', '/r');
          expect(after.status).toBe(200);
          expect(after.headers['tollgate-degraded']).toBeUndefined();
        });
      }
    } finally {
      sidecar.child.kill('SIGCONT');
      await sidecar.stop();
    }
  });

  it('sidecar restarted: the adapter registers again on the new process and decides', async () => {
    const socketPath = join(dir, `restart-${gateway}.sock`);
    let sidecar = await startSidecar(socketPath, { TOLLGATE_LOG_LEVEL: 'error' });
    try {
      // A timeout no cold start on a busy machine reaches: this is about registration, not speed.
      const timeout = 3000;
      await withNginx(gateway, policy('closed'), socketPath, async (nginx) => {
        const first = await send(nginx.port, 'GET', '/r');
        expect(first.headers.ratelimit).toMatch(/r=999/);
        expect(await sidecar.stop()).toBe(0);
        sidecar = await startSidecar(socketPath, { TOLLGATE_LOG_LEVEL: 'error' });
        // The pooled connection is dead and the new process never issued this token.
        const second = await send(nginx.port, 'GET', '/r');
        expect(second.status).toBe(200);
        // A fresh memory store: the count starts again, so the new process decided it.
        expect(second.headers.ratelimit).toMatch(/r=999/);
        expect(nginx.errorLog()).not.toMatch(/sidecar unavailable/);
      }, timeout);
    } finally {
      await sidecar.stop();
    }
  });

  it.skipIf(redisSkip !== undefined)('sidecar shutdown: every request it received is answered, none fails', async () => {
    const redis = await RedisServer.start();
    const socketPath = join(dir, `shutdown-${gateway}.sock`);
    const sidecar = await startSidecar(socketPath, { TOLLGATE_LOG_LEVEL: 'error' });
    try {
      await withNginx(gateway, policy('closed', { kind: 'redis', url: redis.url, timeoutMs: 5000 }), socketPath, async (nginx) => {
        expect((await send(nginx.port, 'GET', '/r')).status).toBe(200);
        redis.pause();
        const inFlight = Array.from({ length: 6 }, () => send(nginx.port, 'GET', '/r'));
        // Long enough for all of them to reach the sidecar on a busy machine.
        await new Promise((resolve) => setTimeout(resolve, 600));
        const exited = sidecar.stop(3000);
        await new Promise((resolve) => setTimeout(resolve, 150));
        redis.unpause();
        const replies = await Promise.all(inFlight);
        if (replies.some((r) => r.status !== 200)) console.error(nginx.errorLog());
        expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
        for (const reply of replies) expect(reply.headers.ratelimit).toBeDefined();
        expect(await exited).toBe(0);
        // Longer than the requests stay in flight: only the sidecar's drain can answer them.
      }, 5000);
    } finally {
      await sidecar.stop();
      await redis.close();
    }
  });
});
