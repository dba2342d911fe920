// Every engine conformance vector through the real runner process, driven by the APISIX-side
// harness exactly as APISIX would (ext-plugin-post-req, as the compiler emits it): each response
// must meet the vector's expectations AND equal what the engine decides in-process for the same
// request at the same time against an identically seeded store. The runner's clock is pinned
// through the test-only clock file. On Redis (a real redis-server) every vector runs: accounts are
// seeded and checked in the runner's key space, and `store: unreachable` points the runner at a
// closed port. The memory store inside the runner cannot be reached from here, so the memory run
// covers the vectors without accounts, operations or state checks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApisixSide, type ApisixOutcome, type ClientRequest } from './support/apisix-side/index.js';
import {
  createAccounts,
  createEngine,
  createMemoryStore,
  entryIsMetered,
  ManualClock,
  responseFacts,
  TEST_CLOCK_ENV,
  type EngineConfig,
  type UpstreamAnswer,
  type Engine,
  type Store,
} from '../packages/engine/src/index.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { removeRunnerBundle, runnerBundle, startRunner } from './support/apisix-runner.js';
import { freePort, redisSkipReason, RedisServer } from './support/redis.js';
import { applyOperation, compareResponse, factsOf, seedAccounts, loadVectors, subsetProblems, type ObservedResponse, type Vector, type VectorRequest } from './support/vectors.js';

const vectors = loadVectors();
const needsSharedStore = (v: Vector) => Object.keys(v.accounts).length > 0 || v.steps.some((s) => s.op !== undefined || s.state !== undefined) || v.storeUnreachable;
// Charge-on-success and metered routes complete on ext-plugin-post-resp (the compiler emits it for
// them): those vectors also send the upstream's answer through the runner, as APISIX does.
const needsAfterResponse = (v: Vector) => v.config.costs.chargeOn === 'success' || entryIsMetered(v.config, undefined);
// Every vector config passes parseEngineConfig (test/engine-vectors-config.test.ts), as the runner
// requires when APISIX hands it over.
const redisSkip = redisSkipReason();

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'apisix-vectors-'));
  await runnerBundle();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeRunnerBundle();
});

interface Backend {
  /** The store settings the runner's conf carries. */
  readonly runnerStore: EngineConfig['store'];
  /** The runner's key space, reached from the test for seeding, operations and state checks. */
  readonly runnerSide?: Store;
  /** The in-process engine's own store, seeded the same way. */
  readonly inProcess: Store;
}

describe('conformance vectors through the APISIX runner, memory store', () => {
  const runnable = vectors.filter((v) => !needsSharedStore(v));
  it.each(runnable.map((v) => [v.file, v] as const))('%s', async (_file, vector) => {
    await runVector(vector, { runnerStore: vector.config.store, inProcess: createMemoryStore() });
  });
});

describe.skipIf(redisSkip !== undefined)(redisSkip === undefined ? 'conformance vectors through the APISIX runner, Redis store' : `conformance vectors through the APISIX runner, Redis store — SKIPPED: ${redisSkip}`, () => {
  let server: RedisServer;
  let closedPort: number;
  beforeAll(async () => {
    server = await RedisServer.start();
    closedPort = await freePort();
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(vectors.map((v, i) => [v.file, v, i] as const))('%s', async (_file, vector, i) => {
    const url = vector.storeUnreachable ? `redis://127.0.0.1:${closedPort}` : server.url;
    const timeoutMs = vector.config.store.timeoutMs ?? 1000;
    const settings = (keyPrefix: string) => ({ kind: 'redis' as const, url, keyPrefix, timeoutMs });
    const runnerPrefix = `runner${i}`;
    const backend: Backend = {
      runnerStore: { ...vector.config.store, kind: 'redis', url, keyPrefix: runnerPrefix, timeoutMs },
      runnerSide: createRedisStore({ ...settings(runnerPrefix), url: server.url, timeoutMs: 1000 }),
      inProcess: createRedisStore(settings(`inproc${i}`)),
    };
    try {
      await runVector(vector, backend);
    } finally {
      await Promise.all([backend.runnerSide?.close(), backend.inProcess.close()]);
    }
  });
});

async function runVector(vector: Vector, backend: Backend): Promise<void> {
  const clockFile = join(dir, `${vector.file}.${backend.runnerStore.kind}.clock`);
  const socketPath = join(dir, `${vector.file}.${backend.runnerStore.kind}.sock`);
  const clock = new ManualClock(vector.start);
  writeFileSync(clockFile, String(vector.start));
  const stores = [backend.inProcess, ...(backend.runnerSide === undefined ? [] : [backend.runnerSide])];
  if (!vector.storeUnreachable) for (const store of stores) await seedAccounts(vector, store, createAccounts(store, clock));

  const compiled = createEngine(vector.config, backend.inProcess, clock);
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  const config = { ...vector.config, store: backend.runnerStore };
  const route = { id: '1', plugin: 'ext-plugin-post-req' as const, conf: [{ name: 'tollgate', value: JSON.stringify(config) }] };
  const runner = await startRunner({ socketPath, env: { [TEST_CLOCK_ENV]: clockFile } });
  const apisix = new ApisixSide({ socketPath, readTimeoutMs: 5000 });
  const afterResponse = needsAfterResponse(vector);
  let requestCount = 0;
  try {
    for (const step of vector.steps) {
      clock.advance(step.advance);
      writeFileSync(clockFile, String(clock.now()));
      for (let n = 1; n <= step.repeat; n++) {
        const where = step.repeat > 1 ? `${step.where} (request ${n} of ${step.repeat})` : step.where;
        if (step.op !== undefined) {
          const results = await Promise.all(stores.map((store) => applyOperation(step, createAccounts(store, clock))));
          expect(results.flat(), `${where}: operation`).toEqual([]);
        } else if (step.request !== undefined) {
          requestCount += 1;
          const client = clientRequest(step.request, `${vector.file}-${String(requestCount)}`);
          const outcome = await apisix.request(route, client);
          let viaRunner = observe(outcome, step.upstreamStatus);
          const upstream: UpstreamAnswer = { status: step.upstreamStatus, headers: { 'Content-Type': 'application/json' }, ...step.upstreamResponse };
          if (afterResponse && outcome.kind === 'proxied') {
            const answer = await apisix.respond(route, client, { status: upstream.status, headers: Object.entries(upstream.headers ?? {}), body: Buffer.from(upstream.body ?? '') });
            if (answer.kind !== 'answered') throw new Error(`${where}: post-resp: ${answer.error}`);
            expect(answer.status, `${where}: post-resp`).toBe(step.upstreamStatus);
            // The client gets the headers the request call set and the response call's answer.
            const sent = Object.entries(single(answer.headers)).filter(([name]) => !NGINX_FRAMING.has(name));
            viaRunner = { ...viaRunner, headers: { ...viaRunner.headers, ...Object.fromEntries(sent) }, body: Buffer.from(answer.body).toString('utf8') };
          }
          const inProcess = await engineObservation(compiled.engine, step.request, upstream, afterResponse);
          expect(compareResponse(step.expect, viaRunner), `${where}: expectations`).toEqual([]);
          expect(comparable(viaRunner), `${where}: runner vs engine`).toEqual(comparable(inProcess));
        }
        for (const [id, members] of Object.entries(step.state ?? {})) {
          const runnerSide = backend.runnerSide;
          if (runnerSide === undefined) throw new Error(`${where}: state checks need the runner's store`);
          expect(subsetProblems(`state ${id}`, members, await runnerSide.getAccount(id)), where).toEqual([]);
        }
      }
    }
  } finally {
    apisix.close();
    await runner.stop();
  }
}



/** A vector request as a client plus APISIX's auth plugin would present it to the runner. */
function clientRequest(request: VectorRequest, requestId: string): ClientRequest {
  const query = new URLSearchParams(request.query ?? {}).toString();
  const headers: [string, string][] = Object.entries(request.headers ?? {});
  if (request.host !== undefined) headers.push(['Host', request.host]);
  if (request.body !== undefined) headers.push(['Content-Length', String(Buffer.byteLength(request.body))]);
  if (request.requestId !== undefined) headers.push(['X-Request-Id', request.requestId]);
  // key-auth sets (or clears) this header when it attaches the consumer.
  if (request.credential !== undefined) headers.push(['X-Credential-Identifier', request.credential]);
  return {
    method: request.method,
    uri: `${request.path}${query === '' ? '' : `?${query}`}`,
    headers,
    srcIp: request.ip ?? '203.0.113.7',
    // $request_id ties ext-plugin-post-resp's call to this request's decision.
    vars: { request_id: requestId, ...(request.consumer === undefined ? {} : { consumer_name: request.consumer }) },
    ...(request.body === undefined ? {} : { body: Buffer.from(request.body) }),
  };
}

function observe(outcome: ApisixOutcome, upstreamStatus: number): ObservedResponse {
  if (outcome.kind === 'failed') return { status: outcome.status, headers: {}, body: outcome.error };
  if (outcome.kind === 'stopped') return { status: outcome.status, headers: single(outcome.headers), body: Buffer.from(outcome.body ?? []).toString('utf8') };
  const query = Object.fromEntries([...outcome.upstream.args].map(([name, values]) => [name, values[0] === true ? '' : (values[0] ?? '')]));
  return { status: upstreamStatus, headers: single(outcome.responseHeaders), body: '', upstream: { headers: single(outcome.upstream.headers), query, path: outcome.upstream.path } };
}

/** `answered`: the runner's response call answered the client (ext-plugin-post-resp), with the upstream's headers but a metered route's cost header. */
async function engineObservation(engine: Engine, request: VectorRequest, upstream: UpstreamAnswer, answered: boolean): Promise<ObservedResponse> {
  const decision = await engine.decide(factsOf(request));
  if (decision.kind !== 'allow') return { status: decision.status, headers: decision.headers, body: decision.body };
  if (decision.followUp !== undefined) await engine.complete(decision.followUp, upstream.status, responseFacts(decision, upstream));
  if (!answered) return { status: upstream.status, headers: decision.responseHeaders, body: '' };
  const kept = Object.entries(upstream.headers ?? {}).filter(([name]) => name.toLowerCase() !== decision.observe?.header);
  return { status: upstream.status, headers: { ...Object.fromEntries(kept), ...decision.responseHeaders }, body: upstream.body ?? '' };
}

/** What nginx adds to every response it frames: not the runner's nor the engine's. */
const NGINX_FRAMING = new Set(['transfer-encoding', 'connection', 'content-length', 'date']);

/** Status, body and the decision's response headers; names compared case-insensitively (APISIX lower-cases them). */
function comparable(observed: ObservedResponse): { status: number; body: string; headers: Record<string, string> } {
  const headers = Object.entries(observed.headers).map(([k, v]) => [k.toLowerCase(), v] as const);
  return { status: observed.status, body: observed.body, headers: Object.fromEntries(headers.sort(([a], [b]) => a.localeCompare(b))) };
}

function single(headers: ReadonlyMap<string, readonly string[]>): Record<string, string> {
  return Object.fromEntries([...headers].map(([name, values]) => [name, values.join(', ')]));
}
