// The `tollgate` Kong plugin (access + log; what every policy without x402 runs) behind the Kong-side harness and the real kong-js-pluginserver, in one
// run: requests/s and p50/p99 latency for a no-op plugin (the floor every external plugin pays:
// one HandleEvent per request), Tollgate's allow path and Tollgate's deny path; PDK round trips
// and RPC frames per request; then the plugin server's memory over 100k requests half of which
// end in kong.response.exit, with Tollgate (kong-pdk's event leak mitigated) and with a bare
// kong-pdk plugin that exits (unmitigated). Two simulated Kong workers, 16 requests in flight.
// The harness is Node, not nginx: absolute numbers include its own cost; the ratios compare
// plugins under the same harness. Run `pnpm run build` first (imports the built packages).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { KongHarness, writeFixturePlugin } from '../packages/kong-plugin/dist/harness/index.js';

const TOLLGATE_DIR = fileURLToPath(new URL('../packages/kong-plugin/dist/kong/tollgate', import.meta.url));
const WORKERS = 2;
const IN_FLIGHT = 16;
const WARMUP = 2_000;
const REQUESTS = 20_000;
const MEMORY_REQUESTS = 100_000;
const MEMORY_SAMPLE_EVERY = 10_000;

const POLICY = {
  version: 1,
  policy: 'bench',
  routes: [
    { name: 'forecast', paths: ['/v1/forecast'], methods: ['GET'] },
    { name: 'history', paths: ['/v1/history'], methods: ['GET'] },
  ],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [{ name: 'free', plan: { rateLimit: { second: 1_000_000 }, quota: { requests: 100_000_000, per: 'month' }, routes: ['forecast'] } }],
  defaultPlan: 'free',
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
};

const consumer = (i) => ({ id: `c-${i % 100}`, username: `user-${i % 100}` });
const ALLOW = (i) => ({ method: 'GET', path: '/v1/forecast', headers: { host: 'api.example.com', 'user-agent': 'bench' }, consumer: consumer(i) });
// Not in the plan (and no higher plan has it): 403 not-entitled.
const DENY = (i) => ({ method: 'GET', path: '/v1/history', headers: { host: 'api.example.com', 'user-agent': 'bench' }, consumer: consumer(i) });
const upstream = () => ({ status: 200, body: 'ok' });

async function load(kong, row, makeRequest, count, expectStatus) {
  const latencies = new Float64Array(count);
  let next = 0;
  let rpcs = 0;
  let pdkRoundTrips = 0;
  const lane = async (laneIndex) => {
    for (let i = next++; i < count; i = next++) {
      const start = performance.now();
      const response = await kong.request(makeRequest(i), row, { worker: laneIndex % WORKERS, upstream });
      latencies[i] = performance.now() - start;
      if (expectStatus !== undefined && response.status !== expectStatus) throw new Error(`request ${i}: status ${response.status}, expected ${expectStatus}: ${response.body}`);
      const log = await response.log;
      const phases = [response.access, response.response, log].filter((phase) => phase !== undefined);
      rpcs += phases.reduce((sum, phase) => sum + phase.rpcs.length, 0);
      pdkRoundTrips += phases.reduce((sum, phase) => sum + waitingCalls(phase.pdkCalls), 0);
    }
  };
  const cpuBefore = cpuMs(kong.server.pid);
  const start = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => lane(i)));
  const seconds = (performance.now() - start) / 1000;
  await kong.settled();
  const serverCpuMs = cpuMs(kong.server.pid) - cpuBefore;
  latencies.sort();
  return {
    requests: count,
    requestsPerSecond: Math.round(count / seconds),
    p50Ms: round(latencies[Math.floor(count * 0.5)]),
    p99Ms: round(latencies[Math.floor(count * 0.99)]),
    pdkRoundTripsPerRequest: round(pdkRoundTrips / count),
    rpcFramesPerRequest: round(rpcs / count),
    pluginServerCpuUsPerRequest: Math.round((serverCpuMs * 1000) / count),
  };
}

// exit/error are one-way: Kong sends no Step after them.
const waitingCalls = (calls) => calls.filter((m) => m !== 'kong.response.exit' && m !== 'kong.response.error').length;
const round = (n) => Math.round(n * 100) / 100;

async function scenario(kong, row, makeRequest, expectStatus) {
  await load(kong, row, makeRequest, WARMUP, expectStatus);
  return load(kong, row, makeRequest, REQUESTS, expectStatus);
}

// utime + stime of a process, in ms (Linux /proc; clock ticks of 10 ms).
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

async function memory(kong, row, makeRequest) {
  const samples = [];
  for (let done = 0; done < MEMORY_REQUESTS; done += MEMORY_SAMPLE_EVERY) {
    // No status check here: half the requests are allowed, half end in an exit.
    const batch = await load(kong, row, (i) => makeRequest(done + i), MEMORY_SAMPLE_EVERY, undefined);
    samples.push({ after: done + MEMORY_SAMPLE_EVERY, rssMb: rssMb(kong.server.pid), requestsPerSecond: batch.requestsPerSecond });
  }
  const first = samples[0].rssMb;
  return { requests: MEMORY_REQUESTS, exitShare: 0.5, samples, growthAfterFirstSampleMb: round(samples.at(-1).rssMb - first) };
}

async function withHarness(pluginsDir, fn) {
  const kong = await KongHarness.start({ pluginsDir, workers: WORKERS });
  try {
    return await fn(kong);
  } finally {
    await kong.close();
  }
}

const noopDir = writeFixturePlugin('noop');
const paywallDir = writeFixturePlugin('paywall');
try {
  const noop = await withHarness(noopDir, (kong) => scenario(kong, kong.plugin({}), ALLOW, 200));
  const { plugin, allow, deny, tollgateMemory } = await withHarness(TOLLGATE_DIR, async (kong) => {
    // Measure the streaming plugin: a response phase here would mean buffered proxying in Kong.
    if (kong.info.Name !== 'tollgate' || kong.info.Phases.includes('response')) throw new Error(`expected the tollgate plugin without a response phase, got ${JSON.stringify(kong.info)}`);
    const row = kong.plugin({ policy: JSON.stringify(POLICY) });
    return {
      plugin: { name: kong.info.Name, phases: kong.info.Phases },
      allow: await scenario(kong, row, ALLOW, 200),
      deny: await scenario(kong, row, DENY, 403),
      tollgateMemory: await memory(kong, row, (i) => (i % 2 === 0 ? ALLOW(i) : DENY(i))),
    };
  });
  const bareMemory = await withHarness(paywallDir, (kong) =>
    memory(kong, kong.plugin({}), (i) => ({ method: 'GET', path: '/', headers: i % 2 === 0 ? { 'x-api-key': 'k' } : {} })),
  );

  const results = {
    benchmark: 'kong-pluginserver',
    node: process.version,
    date: new Date().toISOString(),
    setup: { workers: WORKERS, inFlight: IN_FLIGHT, warmup: WARMUP, requests: REQUESTS, store: 'memory', kongPdk: '0.6.0' },
    baseline: { noopPlugin: noop },
    tollgate: { plugin, allow, deny },
    ratios: { allowVsNoopThroughput: round(allow.requestsPerSecond / noop.requestsPerSecond), denyVsNoopThroughput: round(deny.requestsPerSecond / noop.requestsPerSecond) },
    targets: {
      allowPdkRoundTripsAtMost4: allow.pdkRoundTripsPerRequest <= 4,
      denyPdkRoundTripsAtMost3: deny.pdkRoundTripsPerRequest <= 3,
      allowAtLeast70PercentOfNoop: allow.requestsPerSecond / noop.requestsPerSecond >= 0.7,
    },
    memory: { tollgate: tollgateMemory, bareKongPdkExits: bareMemory },
  };
  mkdirSync(new URL('results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('results/kong-pluginserver.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify({ baseline: results.baseline, tollgate: results.tollgate, ratios: results.ratios, targets: results.targets }, null, 2));
  console.log('memory (RSS MB after each 10k):', {
    tollgate: tollgateMemory.samples.map((s) => s.rssMb),
    bareKongPdkExits: bareMemory.samples.map((s) => s.rssMb),
  });
} finally {
  rmSync(noopDir, { recursive: true, force: true });
  rmSync(paywallDir, { recursive: true, force: true });
}
