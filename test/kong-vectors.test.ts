// Every engine conformance vector through the real kong-js-pluginserver running the bundled
// Tollgate plugins (each vector on the plugin the compiler assigns its policy: tollgate,
// tollgate-charge-on-success or tollgate-x402), driven by the Kong-side harness exactly as Kong
// would: each response must meet the vector's expectations AND equal what the engine decides
// in-process for the same request at the same time, and the account state must match. Every
// vector runs twice: with the entry attached to the service (the plugin finds the route from the
// request line) and with one entry per route, pinned to it (config.route), where the plugin skips
// the request line whenever nothing else in the policy reads it. One plugin server per plugin
// serves all its vectors (as one Kong node serves many policies); each vector gets its own
// store.keyPrefix so their states stay apart, and the server's clock is pinned through the
// test-only clock file.
//
// Vectors that need no account access run on the memory store inside the plugin server. The rest
// (seeded accounts, account operations, state checks, an unreachable store) run on Redis, which
// this test reaches too: it seeds and inspects the plugin's accounts, and a reference engine on its
// own key prefix gets the same seeds and operations.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccounts,
  createEngine,
  createMemoryStore,
  entryObservedHeaders,
  ManualClock,
  responseFacts,
  STORE_FACTORIES,
  TEST_CLOCK_ENV,
  type Accounts,
  type Allow,
  type EngineConfig,
  type Store,
  type UpstreamAnswer,
} from '../packages/engine/src/index.js';
import { unreachableStore } from '../packages/engine/src/store/test-support/failing-stores.js';
import type { ClientRequest, KongResponse, PluginRow } from './support/kong-harness/index.js';
import { pluginNameFor, PLUGIN_NAMES, type PluginName } from '../packages/kong-plugin/src/plugin-info.js';
import { planFacts } from '../packages/kong-plugin/src/request-facts.js';
import { startTollgateKong, type TollgateKong } from './support/kong-plugin.js';
import { freePort, RedisServer, redisSkipReason } from './support/redis.js';
import { applyOperation, compareResponse, factsOf, seedAccounts, loadVectors, subsetProblems, type ObservedResponse, type Vector, type VectorRequest } from './support/vectors.js';

const vectors = loadVectors();
const needsSharedStore = (v: Vector) => Object.keys(v.accounts).length > 0 || v.steps.some((s) => s.op !== undefined || s.state !== undefined) || v.storeUnreachable;
// Every vector's config passes parseEngineConfig (test/engine-vectors-config.test.ts), so all of
// them run through Kong.
const onMemory = vectors.filter((v) => !needsSharedStore(v));
const onRedis = vectors.filter((v) => needsSharedStore(v));
const redisReason = redisSkipReason() ?? (STORE_FACTORIES.redis === undefined ? 'the redis store is not registered in STORE_FACTORIES' : undefined);

const REDIS_ENV = 'TOLLGATE_REDIS_URL';
const DEAD_REDIS_ENV = 'TOLLGATE_DEAD_REDIS_URL';

let dir: string;
let clockFile: string;
let redis: RedisServer | undefined;
let deadRedisUrl: string;
let plugins: Map<PluginName, TollgateKong>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kong-vectors-'));
  clockFile = join(dir, 'clock');
  writeFileSync(clockFile, String(Date.now()));
  if (redisReason === undefined) redis = await RedisServer.start();
  deadRedisUrl = `redis://127.0.0.1:${await freePort()}`;
  const env = { [TEST_CLOCK_ENV]: clockFile, [REDIS_ENV]: redis?.url ?? '', [DEAD_REDIS_ENV]: deadRedisUrl };
  plugins = new Map(await Promise.all(PLUGIN_NAMES.map(async (plugin) => [plugin, await startTollgateKong({ plugin, workers: 2, env })] as const)));
});
afterAll(async () => {
  for (const t of plugins.values()) await t.close();
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('conformance vectors through kong-js-pluginserver', () => {
  it('covers every vector', () => {
    expect(onMemory.length + onRedis.length).toBe(vectors.length);
    expect(onMemory.length).toBeGreaterThan(0);
  });

  it('runs some vectors on each plugin', () => {
    const used = new Set(vectors.map((v) => pluginNameFor(v.config)));
    expect([...used].sort()).toEqual([...PLUGIN_NAMES].sort());
  });
});

/**
 * How the plugin entry is attached: to the service, or once per policy route with config.route
 * naming it. The harness does not route, so the pinned entry is the one for the route the
 * in-process engine matched (the vectors' routes do not overlap: Kong's router picks the same).
 */
type Attachment = 'service' | 'pinned';
const skippedRequestLines = { count: 0 };

// A route that states its cost in a header needs its own entry and post-function (the compiler
// pins them): an entry on the service cannot tell which of its routes' responses carry a cost.
const statesCostInHeader = (v: Vector) => entryObservedHeaders(v.config, undefined).length > 0;

describe.each(['service', 'pinned'] as const)('attached: %s', (attachment) => {
  const id = attachment === 'service' ? '' : 'p';
  const runs = (v: Vector) => attachment === 'pinned' || !statesCostInHeader(v);

  describe('on the memory store inside the plugin server', () => {
    it.each(onMemory.filter(runs).map((v, i) => [v.file, v, i] as const))('%s', async (_file, vector, index) => {
      const config: EngineConfig = { ...vector.config, store: { kind: 'memory', keyPrefix: `m${id}${index}` } };
      const clock = new ManualClock(vector.start);
      await runVector(vector, config, clock, createMemoryStore(), undefined, attachment);
    });
  });

  describe.skipIf(redisReason !== undefined)(redisReason === undefined ? 'on the Redis store' : `on the Redis store — SKIPPED: ${redisReason}`, () => {
    it.each(onRedis.filter(runs).map((v, i) => [v.file, v, i] as const))('%s', async (_file, vector, index) => {
      const prefix = `r${id}${index}`;
      const url = { env: vector.storeUnreachable ? DEAD_REDIS_ENV : REDIS_ENV };
      // A generous timeout: on a loaded test machine the default 50 ms would turn Redis latency into
      // fail-open decisions that no vector expects.
      const store = { ...vector.config.store, kind: 'redis', url, keyPrefix: prefix, timeoutMs: vector.config.store.timeoutMs ?? 2000 } as const;
      const config: EngineConfig = { ...vector.config, store };
      const clock = new ManualClock(vector.start);
      const pluginStore = redisStore(prefix);
      const referenceStore = redisStore(`${prefix}-ref`);
      try {
        const plugin = createAccounts(pluginStore, clock);
        const reference = createAccounts(referenceStore, clock);
        await seedAccounts(vector, pluginStore, plugin);
        await seedAccounts(vector, referenceStore, reference);
        const engineStore = vector.storeUnreachable ? unreachableStore() : referenceStore;
        await runVector(vector, config, clock, engineStore, { plugin, reference, pluginStore }, attachment);
      } finally {
        await pluginStore.close();
        await referenceStore.close();
      }
    });
  });
});

describe('pinned entries', () => {
  it('skipped the request line for some vectors (where the policy reads no method, path or query)', () => {
    expect(skippedRequestLines.count).toBeGreaterThan(0);
  });
});

function redisStore(keyPrefix: string): Store {
  const store = STORE_FACTORIES.redis?.({ kind: 'redis', url: redis?.url ?? '', keyPrefix, timeoutMs: 1000 });
  if (store === undefined) throw new Error('no redis store');
  return store;
}


interface Shared {
  readonly plugin: Accounts;
  readonly reference: Accounts;
  readonly pluginStore: Store;
}

/** The harness of the plugin an entry needs (per route when pinned: a metered route may need more phases than the others). */
function harnessFor(config: EngineConfig, route: string | undefined): TollgateKong {
  const t = plugins.get(pluginNameFor(config, route));
  if (t === undefined) throw new Error(`no harness for ${pluginNameFor(config, route)}`);
  return t;
}

async function runVector(vector: Vector, config: EngineConfig, clock: ManualClock, engineStore: Store, shared: Shared | undefined, attachment: Attachment): Promise<void> {
  const serviceEntry = { t: harnessFor(config, undefined), row: harnessFor(config, undefined).row(config), route: undefined };
  const pinnedEntries = new Map<string, { t: TollgateKong; row: PluginRow; route: string }>();
  const entryFor = (route: string | undefined) => {
    if (attachment === 'service' || route === undefined) return serviceEntry;
    let entry = pinnedEntries.get(route);
    if (entry === undefined) {
      // Its own plugin entry, scoped to its Kong route, as the compiler emits per-route entries.
      const t = harnessFor(config, route);
      entry = { t, row: t.row(config, { route }, { id: `entry-${route}`, routeId: `kong-route-${route}` }), route };
      pinnedEntries.set(route, entry);
    }
    return entry;
  };
  const compiled = createEngine(config, engineStore, clock);
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  const engine = compiled.engine;
  for (const step of vector.steps) {
    clock.advance(step.advance);
    writeFileSync(clockFile, String(clock.now()));
    for (let n = 1; n <= step.repeat; n++) {
      const where = step.repeat > 1 ? `${step.where} (request ${n} of ${step.repeat})` : step.where;
      if (step.request !== undefined) {
        // The engine first: the route it matched picks the pinned entry (separate stores, same clock).
        const decision = await engine.decide(factsOf(step.request));
        const answer: UpstreamAnswer = { status: step.upstreamStatus, ...step.upstreamResponse };
        if (decision.kind === 'allow' && decision.followUp !== undefined) await engine.complete(decision.followUp, answer.status, responseFacts(decision, answer));
        const { t, row, route } = entryFor(decision.log.route);
        // The post-function the compiler emits on entries whose routes state their cost in a header.
        const costHeaders = entryObservedHeaders(config, route);
        const response = await t.kong.request(clientRequest(step.request), row, { upstream: () => answer, costHeaders });
        await response.log;
        const viaKong = observe(response);
        const inProcess: ObservedResponse = decision.kind !== 'allow' ? { status: decision.status, headers: decision.headers, body: decision.body } : clientResponse(decision, answer);
        expect(compareResponse(step.expect, viaKong), `${where}: expectations (${JSON.stringify(response.access.result)})`).toEqual([]);
        expect(comparable(viaKong), `${where}: Kong vs engine`).toEqual(comparable(inProcess));
        expect(response.access.result.kind, `${where}: access phase`).toMatch(/^(ret|exit)$/);
        const readLine = response.access.pdkCalls.includes('kong.nginx.get_var');
        expect(readLine, `${where}: request line read`).toBe(planFacts(config, typeof row.config.route === 'string' ? row.config.route : undefined).requestLine);
        if (!readLine) skippedRequestLines.count += 1;
      } else if (shared !== undefined) {
        expect(await applyOperation(step, shared.plugin), `${where}: operation`).toEqual([]);
        await applyOperation(step, shared.reference);
      }
      if (shared !== undefined) {
        for (const [id, members] of Object.entries(step.state ?? {})) {
          expect(subsetProblems(`state ${id}`, members, await shared.pluginStore.getAccount(id)), `${where}: state`).toEqual([]);
        }
      }
    }
  }
  for (const entry of [serviceEntry, ...pinnedEntries.values()]) await entry.t.kong.settled();
}

/** What the client gets of a proxied answer (its body aside): the upstream's headers but a metered route's cost header, and Tollgate's. */
function clientResponse(decision: Allow, answer: UpstreamAnswer): ObservedResponse {
  const kept = Object.entries(answer.headers ?? {}).filter(([name]) => name.toLowerCase() !== decision.observe?.header);
  return { status: answer.status, headers: { ...Object.fromEntries(kept), ...decision.responseHeaders }, body: '' };
}

/** A vector request as a client plus key-auth would present it to Kong. */
function clientRequest(request: VectorRequest): ClientRequest {
  const headers: Record<string, string> = { ...request.headers };
  if (request.host !== undefined) headers.Host = request.host;
  if (request.requestId !== undefined) headers['X-Request-Id'] = request.requestId;
  const consumerId = `id-${request.consumer ?? ''}`;
  if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
  return {
    ...(request.body === undefined ? {} : { body: request.body }),
    method: request.method,
    path: request.path,
    query: new URLSearchParams(request.query ?? {}).toString(),
    headers,
    clientIp: request.ip ?? '203.0.113.7',
    ...(request.consumer === undefined ? {} : { consumer: { id: consumerId, username: request.consumer } }),
    ...(request.credential === undefined ? {} : { credential: { id: request.credential, consumer: { id: consumerId } } }),
  };
}

function observe(response: KongResponse): ObservedResponse {
  const headers = joined(response.headers);
  const upstream = response.upstream;
  if (upstream === undefined) return { status: response.status, headers, body: response.body };
  const query = Object.fromEntries([...new URLSearchParams(upstream.query)].reverse());
  return { status: response.status, headers, body: '', upstream: { headers: joined(upstream.headers), query, path: upstream.path } };
}

function joined(headers: Readonly<Record<string, readonly string[]>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, values]) => [name, values.join(', ')]));
}

/** Status, body and the decision's response headers; names compared case-insensitively (Kong lower-cases them here). */
function comparable(observed: ObservedResponse): { status: number; body: string; headers: Record<string, string> } {
  const headers = Object.entries(observed.headers).map(([k, v]) => [k.toLowerCase(), v] as const);
  return { status: observed.status, body: observed.body, headers: Object.fromEntries(headers.sort(([a], [b]) => a.localeCompare(b))) };
}
