// Every engine conformance vector through each native Lua adapter (Kong's tollgate-lua handler and
// APISIX's tollgate plugin) running in Debian's nginx + lua-nginx-module, with the real sidecar on
// its unix socket and a real node upstream: curl-level requests, each response checked against
// the vector's expectations AND against what the engine decides in-process for the same request
// at the same time on an identically seeded store (the sidecar gets only the headers it asked for at
// registration, so a header the policy reads and registration missed shows up here); charge-on-success completes from the log phase
// (the test waits for the sidecar to receive it). Vectors with an x402 offer are the exception the
// compiler makes: their settlement needs a buffered response, so they stay on the JavaScript
// plugin and the ext-plugin runner, and the sidecar refuses them (checked below).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../packages/apisix-runner/src/index.js';
import {
  createAccounts,
  createEngine,
  createMemoryStore,
  createRuntime,
  ManualClock,
  responseFacts,
  TEST_CLOCK_ENV,
  type Allow,
  type EngineConfig,
  type Runtime,
  type Store,
  type UpstreamAnswer,
} from '../packages/engine/src/index.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { unreachableStore } from '../packages/engine/src/store/test-support/failing-stores.js';
import { FrameType, SidecarHandler, startSidecarServer, X402_NEEDS_BUFFERING, type SidecarServer } from '../packages/sidecar/src/index.js';
import { luaSkipReason, send, startNginx, startUpstream, type Gateway, type RecordingUpstream, type TestConsumer } from './support/lua-nginx.js';
import { freePort, RedisServer, redisSkipReason } from './support/redis.js';
import { SidecarClient } from './support/sidecar.js';
import { applyOperation, compareResponse, factsOf, loadVectors, seedAccounts, subsetProblems, type ObservedResponse, type Vector, type VectorRequest } from './support/vectors.js';

const vectors = loadVectors();
const settlesPayments = (v: Vector) => v.config.payment?.x402 !== undefined;
const needsSharedStore = (v: Vector) => Object.keys(v.accounts).length > 0 || v.steps.some((s) => s.op !== undefined || s.state !== undefined) || v.storeUnreachable;
// A header value with CR LF cannot cross HTTP/1.1 (a client refuses to send it; nginx would read
// two headers): the engine's control-character stripping is covered where facts are handed over
// directly (engine, Kong harness and APISIX runner suites).
const unsendable = (v: Vector) => v.steps.some((s) => Object.values(s.request?.headers ?? {}).some((value) => /[\r\n]/.test(value)));
const onLua = vectors.filter((v) => !settlesPayments(v) && !unsendable(v));
const onMemory = onLua.filter((v) => !needsSharedStore(v));
const onRedis = onLua.filter((v) => needsSharedStore(v));
const luaSkip = luaSkipReason();
const redisSkip = redisSkipReason();
const DEFAULT_IP = '203.0.113.7';
const DEFAULT_HOST = 'api.example.test';
/** What nginx and the connection add to every response: not the decision's. */
const TRANSPORT_HEADERS = new Set(['server', 'date', 'content-length', 'connection', 'keep-alive', 'transfer-encoding']);

let dir: string;
let clockFile: string;
let runtime: Runtime;
let sidecar: SidecarServer;
let socketPath: string;
let upstream: RecordingUpstream;
let redis: RedisServer | undefined;
let deadRedisUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lua-vectors-'));
  // nginx workers run as nobody: they must reach the socket.
  chmodSync(dir, 0o755);
  clockFile = join(dir, 'clock');
  writeFileSync(clockFile, String(Date.now()));
  socketPath = join(dir, 'sidecar.sock');
  runtime = createRuntime({ env: { [TEST_CLOCK_ENV]: clockFile }, router: 'kong-atc' });
  sidecar = await startSidecarServer({ socketPath, handler: new SidecarHandler(runtime, silentLogger, 3_600_000) });
  upstream = await startUpstream();
  if (redisSkip === undefined) redis = await RedisServer.start();
  deadRedisUrl = `redis://127.0.0.1:${await freePort()}`;
});
afterAll(async () => {
  await sidecar.close();
  await runtime.close();
  await upstream.close();
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('conformance vectors through the Lua adapters', () => {
  it('covers every vector but those settling x402 payments and one no HTTP client can send', () => {
    expect(onMemory.length + onRedis.length + vectors.filter((v) => settlesPayments(v) || unsendable(v)).length).toBe(vectors.length);
    expect(vectors.filter(settlesPayments).map((v) => v.file)).toEqual(['43-x402-challenge.yaml', '44-x402-not-on-429.yaml', '45-anonymous-x402.yaml', '55-anonymous-consumer-x402.yaml', '56-anonymous-per-ip.yaml', '80-x402-several-accepts.yaml', '81-x402-route-prices.yaml', '82-x402-upto-offer.yaml', '83-x402-malformed-payment.yaml', '84-x402-payment-matches-no-option.yaml', '85-x402-v1-payment-for-upto-only.yaml', '86-x402-payment-only-on-402.yaml']);
    expect(vectors.filter(unsendable).map((v) => v.file)).toEqual(['48-rewrite-no-header-injection.yaml']);
  });

  it('the sidecar refuses a policy with an x402 offer, naming the plugin that settles it', async () => {
    const client = await SidecarClient.connect(socketPath);
    const x402 = vectors.find(settlesPayments);
    const answer = await client.call(FrameType.Register, { policy: JSON.stringify(x402?.config), gateway: 'kong' });
    client.close();
    expect(answer).toEqual({ type: FrameType.Error, body: { error: X402_NEEDS_BUFFERING } });
  });
});

describe.skipIf(luaSkip !== undefined).each(['kong', 'apisix'] as const)(luaSkip === undefined ? 'through the %s Lua adapter' : `%s Lua adapter — SKIPPED: ${luaSkip}`, (gateway) => {
  describe('on the memory store', () => {
    it.each(onMemory.map((v, i) => [v.file, v, i] as const))('%s', async (_file, vector, index) => {
      const config: EngineConfig = { ...vector.config, store: { ...vector.config.store, kind: 'memory', keyPrefix: `${gateway}-m${index}` } };
      await runVector(gateway, vector, config, createMemoryStore(), undefined);
    });
  });

  describe.skipIf(redisSkip !== undefined)(redisSkip === undefined ? 'on the Redis store' : `on the Redis store — SKIPPED: ${redisSkip}`, () => {
    it.each(onRedis.map((v, i) => [v.file, v, i] as const))('%s', async (_file, vector, index) => {
      const prefix = `${gateway}-r${index}`;
      const url = vector.storeUnreachable ? deadRedisUrl : (redis?.url ?? '');
      // Generous: on a loaded test machine Redis latency must not become fail-open decisions.
      const config: EngineConfig = { ...vector.config, store: { ...vector.config.store, kind: 'redis', url, keyPrefix: prefix, timeoutMs: vector.config.store.timeoutMs ?? 2000 } };
      const adapterStore = createRedisStore({ kind: 'redis', url: redis?.url ?? '', keyPrefix: prefix, timeoutMs: 1000 });
      const referenceStore = createRedisStore({ kind: 'redis', url: redis?.url ?? '', keyPrefix: `${prefix}-ref`, timeoutMs: 1000 });
      try {
        await runVector(gateway, vector, config, vector.storeUnreachable ? unreachableStore() : referenceStore, { adapterStore, referenceStore });
      } finally {
        await Promise.all([adapterStore.close(), referenceStore.close()]);
      }
    });
  });
});

interface Shared {
  readonly adapterStore: Store;
  readonly referenceStore: Store;
}

async function runVector(gateway: Gateway, vector: Vector, config: EngineConfig, engineStore: Store, shared: Shared | undefined): Promise<void> {
  const clock = new ManualClock(vector.start);
  writeFileSync(clockFile, String(clock.now()));
  if (shared !== undefined && !vector.storeUnreachable) {
    await seedAccounts(vector, shared.adapterStore, createAccounts(shared.adapterStore, clock));
    await seedAccounts(vector, shared.referenceStore, createAccounts(shared.referenceStore, clock));
  }
  const compiled = createEngine(config, engineStore, clock);
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  const engine = compiled.engine;
  const nginx = await startNginx({
    dir: join(dir, `${gateway}-${vector.file}-${config.store.kind}`),
    gateway,
    conf: { policy: JSON.stringify(config), socket: socketPath, timeout: 5000 },
    consumers: consumersOf(vector),
    upstreamPort: upstream.port,
  });
  try {
    for (const step of vector.steps) {
      clock.advance(step.advance);
      writeFileSync(clockFile, String(clock.now()));
      for (let n = 1; n <= step.repeat; n++) {
        const where = `${gateway} ${step.repeat > 1 ? `${step.where} (request ${n} of ${step.repeat})` : step.where}`;
        if (step.request !== undefined) {
          const decision = await engine.decide({ ...factsOf(step.request), host: step.request.host ?? DEFAULT_HOST });
          const answer = { status: step.upstreamStatus, ...step.upstreamResponse };
          if (decision.kind === 'allow' && decision.followUp !== undefined) await engine.complete(decision.followUp, answer.status, responseFacts(decision, answer));
          upstream.status = answer.status;
          upstream.headers = answer.headers ?? {};
          upstream.body = answer.body ?? '';
          const received = upstream.received.length;
          const completed = sidecar.stats.complete;
          const reply = await send(nginx.port, step.request.method, target(step.request), clientHeaders(step.request), step.request.body);
          const proxied = upstream.received.length > received;
          if (proxied && decision.kind === 'allow' && decision.followUp !== undefined) await waitFor(() => sidecar.stats.complete > completed, `${where}: completion`);
          const viaLua: ObservedResponse = proxied ? { ...reply, upstream: upstream.received.at(-1) } : reply;
          const inProcess: ObservedResponse = decision.kind !== 'allow' ? { status: decision.status, headers: decision.headers, body: decision.body } : clientResponse(decision, answer);
          expect(compareResponse(step.expect, viaLua), `${where}: expectations`).toEqual([]);
          expect(comparable(viaLua), `${where}: Lua adapter vs engine`).toEqual(comparable(inProcess));
        } else if (shared !== undefined) {
          expect(await applyOperation(step, createAccounts(shared.adapterStore, clock)), `${where}: operation`).toEqual([]);
          await applyOperation(step, createAccounts(shared.referenceStore, clock));
        }
        for (const [id, members] of Object.entries(step.state ?? {})) {
          if (shared === undefined) throw new Error(`${where}: state checks need the adapter's store`);
          expect(subsetProblems(`state ${id}`, members, await shared.adapterStore.getAccount(id)), `${where}: state`).toEqual([]);
        }
      }
    }
  } finally {
    await nginx.stop();
  }
}

/** The consumers key-auth knows for this vector: one key per consumer and credential. */
function consumersOf(vector: Vector): Record<string, TestConsumer> {
  const consumers: Record<string, TestConsumer> = {};
  for (const { request } of vector.steps) {
    if (request?.consumer === undefined) continue;
    consumers[apiKey(request)] = { id: `id-${request.consumer}`, username: request.consumer, ...(request.credential === undefined ? {} : { credential: request.credential }) };
  }
  return consumers;
}

function apiKey(request: VectorRequest): string {
  return `key-${request.consumer ?? ''}-${request.credential ?? ''}`;
}

function target(request: VectorRequest): string {
  const query = new URLSearchParams(request.query ?? {}).toString();
  return `${request.path}${query === '' ? '' : `?${query}`}`;
}

function clientHeaders(request: VectorRequest): Record<string, string> {
  return {
    ...request.headers,
    Host: request.host ?? DEFAULT_HOST,
    'X-Real-IP': request.ip ?? DEFAULT_IP,
    ...(request.requestId === undefined ? {} : { 'X-Request-Id': request.requestId }),
    ...(request.consumer === undefined ? {} : { apikey: apiKey(request) }),
  };
}

/** What the client gets of a proxied answer: the upstream's headers but a metered route's cost header, Tollgate's, and the body. */
function clientResponse(decision: Allow, answer: UpstreamAnswer): ObservedResponse {
  const upstreamHeaders = Object.entries(answer.headers ?? {}).filter(([name]) => name.toLowerCase() !== decision.observe?.header);
  return { status: answer.status, headers: { ...Object.fromEntries(upstreamHeaders), ...decision.responseHeaders }, body: answer.body ?? '' };
}

/** Status, body and the decision's response headers, names lower-case. */
function comparable(observed: ObservedResponse): { status: number; body: string; headers: Record<string, string> } {
  const headers = Object.entries(observed.headers)
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .filter(([k]) => !TRANSPORT_HEADERS.has(k));
  return { status: observed.status, body: observed.body, headers: Object.fromEntries(headers.sort(([a], [b]) => a.localeCompare(b))) };
}

async function waitFor(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
