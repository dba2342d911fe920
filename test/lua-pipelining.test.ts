// The Lua adapters' shared connection (tollgate/sidecar_channel.lua) in Debian's nginx with the
// real sidecar: a worker's concurrent requests go out on ONE connection, pipelined, and each gets
// its own answer back (every consumer here has its own limit, so a crossed answer shows in the
// RateLimit-Policy header); a slow decision holds up none sent after it; a request whose answer
// comes after its timeout gets the policy's failure mode, and its late answer is dropped instead
// of being handed to a later request; a frame the sidecar refuses costs the decisions in flight
// beside it nothing (answered once, never sent twice).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type EngineConfig } from '../packages/engine/src/index.js';
import { silentLogger } from '../packages/apisix-runner/src/index.js';
import { SidecarHandler, startSidecarServer, type SidecarServer } from '../packages/sidecar/src/index.js';
import { luaSkipReason, send, startNginx, startUpstream, type RecordingUpstream, type TestConsumer } from './support/lua-nginx.js';

const luaSkip = luaSkipReason();
const CONSUMERS = 24;
const TIMEOUT_MS = 300;
const limitOf = (i: number): number => 100 + i;
// Day windows: the remaining counts these tests compare never straddle a window's reset.

const policy = (keyPrefix: string): EngineConfig => ({
  version: 1,
  policy: 'pipelining',
  routes: [{ name: 'r', paths: ['/r'] }],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: Array.from({ length: CONSUMERS }, (_, i) => ({ name: `p${String(i)}`, plan: { rateLimit: { day: limitOf(i) } } })),
  consumerPlans: Object.fromEntries(Array.from({ length: CONSUMERS }, (_, i) => [`c${String(i)}`, `p${String(i)}`])),
  costs: {},
  store: { kind: 'memory', onFailure: 'open', keyPrefix },
});
const consumers: Record<string, TestConsumer> = Object.fromEntries(Array.from({ length: CONSUMERS }, (_, i) => [`key-${String(i)}`, { id: `id-${String(i)}`, username: `c${String(i)}` }]));

/** Limits by the X-Key header, so a long key makes a frame past the strict sidecar's bound. */
const byKey: EngineConfig = {
  version: 1,
  policy: 'pipelining-by-key',
  routes: [{ name: 'r', paths: ['/r'] }],
  identity: { auth: 'none', limitBy: 'header', header: 'X-Key' },
  plans: [{ name: 'free', plan: { rateLimit: { day: 100 } } }],
  defaultPlan: 'free',
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory', onFailure: 'open' },
};
const STRICT_FRAME_BYTES = 4096;

let dir: string;
let upstream: RecordingUpstream;
let sidecar: SidecarServer;
/** The same engine behind a sidecar that refuses frames over STRICT_FRAME_BYTES. */
let strict: SidecarServer;
/** Decisions for this consumer are answered this much later than the engine makes them. */
const slow = { consumer: '', ms: 0 };

beforeAll(async () => {
  if (luaSkip !== undefined) return;
  dir = mkdtempSync(join(tmpdir(), 'lua-pipelining-'));
  chmodSync(dir, 0o755);
  upstream = await startUpstream();
  const handler = new SidecarHandler(createRuntime({ env: {}, router: 'kong-atc' }), silentLogger, 3_600_000);
  const decide = handler.decide.bind(handler);
  handler.decide = (request) => {
    const answer = decide(request);
    const who = request.consumer?.username ?? request.headers['x-key'];
    if (slow.ms === 0 || typeof who !== 'string' || !who.startsWith(slow.consumer)) return answer;
    return new Promise((resolve) => setTimeout(() => { resolve(answer); }, slow.ms));
  };
  sidecar = await startSidecarServer({ socketPath: join(dir, 'sidecar.sock'), handler });
  strict = await startSidecarServer({ socketPath: join(dir, 'strict.sock'), handler, maxFrameBytes: STRICT_FRAME_BYTES });
});
afterAll(async () => {
  if (luaSkip !== undefined) return;
  await Promise.all([sidecar.close(), strict.close()]);
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

const ask = (port: number, i: number) => send(port, 'GET', '/r', { apikey: `key-${String(i)}` });
const policyLimit = (header: string | undefined): number => Number(/q=(\d+)/.exec(header ?? '')?.[1]);

describe.skipIf(luaSkip !== undefined).each(['kong', 'apisix'] as const)(luaSkip === undefined ? '%s Lua adapter' : `%s Lua adapter — SKIPPED: ${luaSkip}`, (gateway) => {
  it('concurrent requests share one pipelined connection and each gets its own answer', async () => {
    const nginx = await startNginx({ dir: join(dir, `${gateway}-many`), gateway, conf: { policy: JSON.stringify(policy(`${gateway}-many`)), socket: join(dir, 'sidecar.sock'), timeout: 5000 }, consumers, upstreamPort: upstream.port });
    try {
      const before = sidecar.stats.connections;
      for (let round = 0; round < 3; round++) {
        const replies = await Promise.all(Array.from({ length: CONSUMERS }, (_, i) => ask(nginx.port, i)));
        replies.forEach((reply, i) => {
          expect(reply.status, `consumer ${String(i)}`).toBe(200);
          expect(policyLimit(reply.headers['ratelimit-policy']), `consumer ${String(i)}`).toBe(limitOf(i));
          expect(reply.headers.ratelimit, `consumer ${String(i)}`).toMatch(new RegExp(`r=${String(limitOf(i) - round - 1)}\\b`));
        });
      }
      expect(sidecar.stats.connections - before).toBe(1);
    } finally {
      await nginx.stop();
    }
  });

  it('an answer that comes after its timeout is dropped, never handed to a later request', async () => {
    const nginx = await startNginx({ dir: join(dir, `${gateway}-late`), gateway, conf: { policy: JSON.stringify(policy(`${gateway}-late`)), socket: join(dir, 'sidecar.sock'), timeout: TIMEOUT_MS }, consumers, upstreamPort: upstream.port });
    try {
      expect((await ask(nginx.port, 1)).status).toBe(200);
      Object.assign(slow, { consumer: 'c0', ms: TIMEOUT_MS * 2 });
      const late = ask(nginx.port, 0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Sent after the slow one on the same connection, answered before it: nothing waits behind it.
      const behind = await ask(nginx.port, 2);
      expect(behind.headers['tollgate-degraded']).toBeUndefined();
      expect(policyLimit(behind.headers['ratelimit-policy'])).toBe(limitOf(2));
      expect((await late).headers['tollgate-degraded']).toBe('sidecar-unavailable');
      Object.assign(slow, { consumer: '', ms: 0 });
      // Past the slow answer's arrival: it finds nobody waiting.
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS));
      const after = await Promise.all([ask(nginx.port, 3), ask(nginx.port, 1)]);
      // The late answer (consumer 0's limit) went to nobody; each later request got its own.
      after.forEach((reply) => { expect(reply.status).toBe(200); });
      const [third, first] = after;
      expect(policyLimit(third.headers['ratelimit-policy'])).toBe(limitOf(3));
      expect(policyLimit(first.headers['ratelimit-policy'])).toBe(limitOf(1));
      expect(first.headers.ratelimit).toMatch(new RegExp(`r=${String(limitOf(1) - 2)}\\b`));
    } finally {
      Object.assign(slow, { consumer: '', ms: 0 });
      await nginx.stop();
    }
  });
  it('a frame the sidecar refuses fails only itself: the decisions read before it are answered, each counted once', async () => {
    const nginx = await startNginx({ dir: join(dir, `${gateway}-refused`), gateway, conf: { policy: JSON.stringify({ ...byKey, store: { ...byKey.store, keyPrefix: `${gateway}-refused` } }), socket: join(dir, 'strict.sock'), timeout: 5000 }, upstreamPort: upstream.port });
    const byKeyAsk = (key: string) => send(nginx.port, 'GET', '/r', { 'x-key': key });
    try {
      expect((await byKeyAsk('warm-up')).status).toBe(200);
      Object.assign(slow, { consumer: 'slow-', ms: 800 });
      const read = strict.stats.decide;
      const slowOnes = ['slow-1', 'slow-2', 'slow-3'].map(byKeyAsk);
      // All three taken by the sidecar (and held 800 ms) before the frame it refuses.
      await expect.poll(() => strict.stats.decide - read, { timeout: 600, interval: 5 }).toBe(3);
      // Its frame is over the sidecar's bound: refused, and the connection with it.
      const refused = await byKeyAsk('k'.repeat(STRICT_FRAME_BYTES));
      expect(refused.headers['tollgate-degraded']).toBe('sidecar-unavailable');
      const answered = await Promise.all(slowOnes);
      Object.assign(slow, { consumer: '', ms: 0 });
      for (const reply of answered) {
        expect(reply.headers['tollgate-degraded']).toBeUndefined();
        expect(reply.headers.ratelimit).toMatch(/r=99\b/);
      }
      // Each decided once: none was sent again on a new connection (the refused frame, sent twice,
      // is refused on its length before it is read as a decision).
      expect(strict.stats.decide - read).toBe(3);
    } finally {
      Object.assign(slow, { consumer: '', ms: 0 });
      await nginx.stop();
    }
  });
  it('a worker exits at once on a graceful quit, even with its last decision still unanswered', async () => {
    const nginx = await startNginx({ dir: join(dir, `${gateway}-exit`), gateway, conf: { policy: JSON.stringify(policy(`${gateway}-exit`)), socket: join(dir, 'sidecar.sock'), timeout: TIMEOUT_MS }, consumers, upstreamPort: upstream.port });
    let stopped = false;
    try {
      Object.assign(slow, { consumer: 'c0', ms: 4000 });
      const reply = ask(nginx.port, 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // The quit comes while the decision is awaited; the request then ends by its timeout.
      const started = performance.now();
      const stopping = nginx.stop();
      expect((await reply).headers['tollgate-degraded']).toBe('sidecar-unavailable');
      await stopping;
      stopped = true;
      // Its answer is still ~3.5 s away: the connection must not wait for it (nor for keepalive_timeout).
      expect(performance.now() - started).toBeLessThan(2500);
    } finally {
      Object.assign(slow, { consumer: '', ms: 0 });
      if (!stopped) await nginx.stop();
    }
  });
});
