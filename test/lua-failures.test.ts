// The Lua adapters when the sidecar is not there, too slow, restarted or shutting down, with the
// real sidecar process, Debian's nginx and a real upstream. The policy's onFailure decides what a
// request gets when the sidecar cannot answer, within the adapter's timeout (never a hung worker);
// a restarted sidecar is registered with again, decides, and completes what its predecessor held
// (on Redis); a connection killed with decisions in flight never has them decided twice; a
// sidecar shutting down answers every request it received (a paused Redis holds them
// in flight across the SIGTERM).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineConfig } from '../packages/engine/src/index.js';
import { luaSkipReason, send, startNginx, startUpstream, type Gateway, type LuaNginx, type RecordingUpstream } from './support/lua-nginx.js';
import { RedisServer, redisSkipReason } from './support/redis.js';
import { removeSidecarBundle, startSidecar } from './support/sidecar.js';

const luaSkip = luaSkipReason();
const redisSkip = redisSkipReason();
const TIMEOUT_MS = 300;

const policy = (onFailure: 'open' | 'closed', store: EngineConfig['store'] = { kind: 'memory' }, overrides: Partial<EngineConfig> = {}): EngineConfig => ({
  version: 1,
  policy: `failures-${onFailure}`,
  routes: [{ name: 'r', paths: ['/r'] }],
  identity: { auth: 'none', limitBy: 'ip' },
  plans: [{ name: 'free', plan: { rateLimit: { minute: 1000 } } }],
  defaultPlan: 'free',
  consumerPlans: {},
  costs: {},
  store: { ...store, onFailure },
  ...overrides,
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

  it('sidecar hung (SIGSTOP): the policy decides within the timeout, decisions resume with it, and a refused request is never charged', async () => {
    const socketPath = join(dir, `slow-${gateway}.sock`);
    const sidecar = await startSidecar(socketPath, { TOLLGATE_LOG_LEVEL: 'error' });
    // A day's window: the remaining counts compared below never straddle a reset.
    const daily = { plans: [{ name: 'free', plan: { rateLimit: { day: 1000 } } }] };
    try {
      for (const onFailure of ['open', 'closed'] as const) {
        await withNginx(gateway, policy(onFailure, undefined, daily), socketPath, async (nginx) => {
          expect((await send(nginx.port, 'GET', '/r')).headers.ratelimit).toMatch(/r=999/);
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
          // The sidecar read the hung request once it ran again, past the adapter's deadline.
          // Failing closed it was refused, so it is not decided (one counted before this one);
          // failing open it was served, and counts.
          expect(after.headers.ratelimit).toMatch(onFailure === 'closed' ? /r=998/ : /r=997/);
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

  // successorFirst: the new process is up before the completion is sent (it registers again);
  // otherwise the completion finds no process and is sent again later (then registers again).
  it.skipIf(redisSkip !== undefined).each([true, false])('sidecar restarted while the upstream answers (successor up first: %s): the new process commits the hold', async (successorFirst) => {
    const redis = await RedisServer.start();
    const admin = new Redis(redis.url);
    const socketPath = join(dir, `restart-completion-${gateway}.sock`);
    let sidecar = await startSidecar(socketPath, { TOLLGATE_LOG_LEVEL: 'error' });
    const config = policy('closed', { kind: 'redis', url: redis.url, timeoutMs: 2000, keyPrefix: `rc-${gateway}:` }, {
      plans: [{ name: 'free', plan: { quota: { units: 100, per: 'month' } } }],
      costs: { default: 5, chargeOn: 'success' },
    });
    const openHolds = async (): Promise<number> => {
      const sets = await admin.keys(`rc-${gateway}:*:h`);
      let held = 0;
      for (const key of sets) held += await admin.zcard(key);
      return held;
    };
    try {
      await withNginx(gateway, config, socketPath, async (nginx) => {
        upstream.delayMs = 1500;
        const reply = send(nginx.port, 'GET', '/r');
        await expect.poll(openHolds, { timeout: 1400, interval: 50 }).toBe(1);
        // The old process exits before the upstream answers; its successor never issued the token.
        expect(await sidecar.stop()).toBe(0);
        if (successorFirst) sidecar = await startSidecar(socketPath, { TOLLGATE_LOG_LEVEL: 'error' });
        expect((await reply).status).toBe(200);
        upstream.delayMs = 0;
        if (!successorFirst) {
          await new Promise((resolve) => setTimeout(resolve, 400));
          expect(await openHolds()).toBe(1);
          sidecar = await startSidecar(socketPath, { TOLLGATE_LOG_LEVEL: 'error' });
        }
        // Committed by the new process: not left to expire (which would give the units back).
        await expect.poll(openHolds, { timeout: 8000, interval: 50 }).toBe(0);
        const ledgers = await admin.keys(`rc-${gateway}:*:l:*`);
        expect(ledgers).toEqual([]);
        expect(nginx.errorLog()).not.toMatch(/follow-up not completed:/);
        if (!successorFirst) expect(nginx.errorLog()).toMatch(/follow-up not completed yet/);
      }, 3000);
    } finally {
      upstream.delayMs = 0;
      admin.disconnect();
      await sidecar.stop();
      await redis.close();
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
  // The adapter gives up before the engine does (its timeout under the store's): failing closed it
  // refuses the request (503) while the engine still waits on Redis. The admission carries the
  // adapter's deadline, so Redis, running it after that, refuses it: nothing charged for a request
  // that was refused. With the engine's own deadline it was charged once Redis ran again.
  it.skipIf(redisSkip !== undefined)('failing closed, a decision the adapter stopped waiting for is not charged when Redis runs it later', async () => {
    const prefix = `late-${gateway}:`;
    await withRedisSidecar(`late-${gateway}`, async ({ redis, admin, socketPath }) => {
      await withNginx(gateway, policy('closed', { kind: 'redis', url: redis.url, timeoutMs: 5000, keyPrefix: prefix }), socketPath, async (nginx) => {
        expect((await send(nginx.port, 'GET', '/r')).status).toBe(200);
        redis.pause();
        const refused = await send(nginx.port, 'GET', '/r');
        expect(refused.status).toBe(503);
        // Later than the deadline by more than the clock offset's error (a round trip to Redis,
        // measured as the sidecar connected), and well within the engine's own timeout.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        redis.unpause();
        // The engine answers once Redis ran the admission; then nothing is left to settle.
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(await countedIn(admin, prefix)).toBe(1);
      });
    });
  });

  // A connection killed between the adapter and the sidecar (here by a unix-socket proxy that cuts
  // it) while the sidecar holds decisions it took, waiting on a paused Redis: they commit when
  // Redis runs again, but their answers are lost. The adapter cannot know they were decided (no
  // GOAWAY), so it does not send them again: each request is served once (the policy fails open)
  // and counted exactly once. Sending them again counted each twice.
  it.skipIf(redisSkip !== undefined)('connection killed with decisions in flight: none is decided twice', async () => {
    await withRedisSidecar(`cut-${gateway}`, async ({ redis, admin, socketPath }) => {
      const proxy = await startCuttingProxy(join(dir, `cut-proxy-${gateway}.sock`), socketPath);
      const counted = () => countedIn(admin, `cut-${gateway}:`);
      try {
        await withNginx(gateway, policy('open', { kind: 'redis', url: redis.url, timeoutMs: 5000, keyPrefix: `cut-${gateway}:` }), proxy.path, async (nginx) => {
          expect((await send(nginx.port, 'GET', '/r')).status).toBe(200);
          redis.pause();
          const inFlight = Array.from({ length: 4 }, () => send(nginx.port, 'GET', '/r'));
          // Long enough for all of them to reach the sidecar on a busy machine.
          await new Promise((resolve) => setTimeout(resolve, 600));
          proxy.cut();
          await new Promise((resolve) => setTimeout(resolve, 300));
          redis.unpause();
          const replies = await Promise.all(inFlight);
          expect(replies.map((r) => [r.status, r.headers['tollgate-degraded']])).toEqual(Array.from({ length: 4 }, () => [200, 'sidecar-unavailable']));
          await expect.poll(counted, { timeout: 2000, interval: 50 }).toBe(5);
          // Still 5 once everything has settled: nothing was decided a second time.
          await new Promise((resolve) => setTimeout(resolve, 300));
          expect(await counted()).toBe(5);
        }, 3000);
      } finally {
        await proxy.close();
      }
    });
  });
});

/** A real Redis, a client to read it, and the real sidecar process on its own socket; all stopped afterwards. */
async function withRedisSidecar(name: string, run: (parts: { redis: RedisServer; admin: Redis; socketPath: string }) => Promise<void>): Promise<void> {
  const redis = await RedisServer.start();
  const admin = new Redis(redis.url);
  const socketPath = join(dir, `${name}.sock`);
  const sidecar = await startSidecar(socketPath, { TOLLGATE_LOG_LEVEL: 'error' });
  try {
    await run({ redis, admin, socketPath });
  } finally {
    redis.unpause();
    admin.disconnect();
    await sidecar.stop();
    await redis.close();
  }
}

/** A unix-socket proxy in front of the sidecar whose connections can be killed (both sides at once). */
async function startCuttingProxy(path: string, target: string): Promise<{ path: string; cut(): void; close(): Promise<void> }> {
  const pairs = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      pairs.add(from);
      from.pipe(to);
      from.on('error', () => undefined);
      from.on('close', () => { pairs.delete(from); to.destroy(); });
    }
  });
  await new Promise<void>((resolve) => server.listen(path, () => { resolve(); }));
  chmodSync(path, 0o777);
  const cut = (): void => { for (const socket of pairs) socket.destroy(); };
  return { path, cut, close: () => { cut(); return new Promise((resolve) => { server.close(() => { resolve(); }); }); } };
}

/** The requests counted in the rate windows under a key prefix (a minute's reset may split them over two keys). */
async function countedIn(admin: Redis, prefix: string): Promise<number> {
  let total = 0;
  for (const key of await admin.keys(`${prefix}*:w:*`)) total += Number(await admin.get(key));
  return total;
}
