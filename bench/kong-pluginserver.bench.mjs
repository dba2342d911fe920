// The `tollgate` Kong plugin (access phase only: what every policy without chargeOn: success or
// x402 runs) behind the Kong-side harness and the real kong-js-pluginserver, in one run:
// requests/s and p50/p99 latency for a no-op plugin (the floor every external plugin pays: one
// HandleEvent per request), Tollgate's allow and deny paths with the entry attached to the service
// (the plugin reads nginx's request line to find the route) and pinned to its route (config.route:
// the request line is not needed); the same allow path on tollgate-charge-on-success, whose log
// phase Kong calls on every request (what a log phase costs); a "replay" plugin making the same PDK calls as Tollgate's allow
// path and nothing else (the IPC floor of that sequence); PDK round trips, RPC frames and CPU per
// request of the plugin server and of the harness (Kong's side); then the plugin server's memory
// over 100k requests half of which end in kong.response.exit, with Tollgate (kong-pdk's event leak
// mitigated) and with a bare kong-pdk plugin that exits (unmitigated). Two simulated Kong workers,
// 16 requests in flight, every scenario in each of 3 interleaved rounds (the best one reported). The harness is Node, not nginx: absolute numbers include its own cost;
// the ratios compare plugins under the same harness. Run `pnpm run build` first (imports the
// built packages).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { importTestSupport } from './support/test-support.mjs';

const { KongHarness, writeFixturePlugin } = await importTestSupport('kong-harness/index.ts');
const pluginDir = (name) => fileURLToPath(new URL(`../packages/kong-plugin/dist/kong/${name}`, import.meta.url));
const TOLLGATE_DIR = pluginDir('tollgate');
const WITH_LOG_PHASE_DIR = pluginDir('tollgate-charge-on-success');
const WORKERS = 2;
const IN_FLIGHT = 16;
const WARMUP = 2_000;
// Every scenario runs once per round, in turn, so the shared machine's drift reaches all of them;
// each reports its fastest round (its latencies with it) and the lowest CPU of its rounds.
const ROUNDS = 3;
const REQUESTS = 10_000;
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

// What the allow path sends Kong after the decision: the RateLimit fields (values as the engine
// writes them; the replay only needs the same shape and size).
const RATELIMIT_HEADERS = { RateLimit: '"second";r=999999;t=1, "month";r=99999999;t=2592000', 'RateLimit-Policy': '"second";q=1000000;w=1, "month";q=100000000;w=2592000' };
// Tollgate's allow path, call for call: facts (headers, [request line,] consumer), then the
// RateLimit headers. The bench checks that Tollgate made exactly these calls.
const REPLAY = {
  service: [['request.getHeaders'], ['nginx.getVar', 'request'], ['client.getConsumer'], ['response.setHeaders', RATELIMIT_HEADERS]],
  pinned: [['request.getHeaders'], ['client.getConsumer'], ['response.setHeaders', RATELIMIT_HEADERS]],
};
const pdkName = ([path]) => `kong.${path.replace(/[a-z][A-Z]/g, (pair) => `${pair[0]}_${pair[1].toLowerCase()}`)}`;

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
  let calls;
  const lane = async (laneIndex) => {
    for (let i = next++; i < count; i = next++) {
      const start = performance.now();
      const response = await kong.request(makeRequest(i), row, { worker: laneIndex % WORKERS, upstream });
      latencies[i] = performance.now() - start;
      if (expectStatus !== undefined && response.status !== expectStatus) throw new Error(`request ${i}: status ${response.status}, expected ${expectStatus}: ${response.body}`);
      const log = await response.log;
      const phases = [response.access, response.response, log].filter((phase) => phase !== undefined);
      rpcs += phases.reduce((sum, phase) => sum + phase.rpcs.filter((m) => m !== 'plugin.StartInstance').length, 0);
      pdkRoundTrips += phases.reduce((sum, phase) => sum + waitingCalls(phase.pdkCalls), 0);
      calls ??= phases.flatMap((phase) => phase.pdkCalls);
    }
  };
  const cpuBefore = cpuMs(kong.server.pid);
  const harnessBefore = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => lane(i)));
  const seconds = (performance.now() - start) / 1000;
  await kong.settled();
  const serverCpuMs = cpuMs(kong.server.pid) - cpuBefore;
  const harness = process.cpuUsage(harnessBefore);
  latencies.sort();
  return {
    requests: count,
    requestsPerSecond: Math.round(count / seconds),
    p50Ms: round(latencies[Math.floor(count * 0.5)]),
    p99Ms: round(latencies[Math.floor(count * 0.99)]),
    pdkRoundTripsPerRequest: round(pdkRoundTrips / count),
    rpcFramesPerRequest: round(rpcs / count),
    pluginServerCpuUsPerRequest: Math.round((serverCpuMs * 1000) / count),
    harnessCpuUsPerRequest: Math.round((harness.user + harness.system) / count),
    pdkCalls: calls,
  };
}

// exit/error are one-way: Kong sends no Step after them.
const waitingCalls = (calls) => calls.filter((m) => m !== 'kong.response.exit' && m !== 'kong.response.error').length;
const round = (n) => Math.round(n * 100) / 100;

async function bestOfRounds(scenarios) {
  const entries = Object.entries(scenarios);
  for (const [, { kong, row, request, status }] of entries) await load(kong, row, request, WARMUP, status);
  const best = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, { kong, row, request, status }] of entries) {
      const run = await load(kong, row, request, REQUESTS, status);
      const seen = best[name];
      if (seen === undefined) {
        best[name] = run;
        continue;
      }
      const fastest = run.requestsPerSecond > seen.requestsPerSecond ? run : seen;
      best[name] = {
        ...fastest,
        pluginServerCpuUsPerRequest: Math.min(run.pluginServerCpuUsPerRequest, seen.pluginServerCpuUsPerRequest),
        harnessCpuUsPerRequest: Math.min(run.harnessCpuUsPerRequest, seen.harnessCpuUsPerRequest),
      };
    }
  }
  return best;
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

const sameCalls = (measured, replay, what) => {
  const expected = replay.map(pdkName);
  if (JSON.stringify(measured.pdkCalls) !== JSON.stringify(expected)) throw new Error(`${what}: Tollgate made ${JSON.stringify(measured.pdkCalls)}, the replay makes ${JSON.stringify(expected)}`);
};

const start = (pluginsDir) => KongHarness.start({ pluginsDir, workers: WORKERS });
const noopDir = writeFixturePlugin('noop');
const paywallDir = writeFixturePlugin('paywall');
const replayDir = writeFixturePlugin('replay');
const harnesses = [];
try {
  const [noopKong, replayKong, tollgateKong, withLogKong, paywallKong] = await Promise.all([noopDir, replayDir, TOLLGATE_DIR, WITH_LOG_PHASE_DIR, paywallDir].map(start));
  harnesses.push(noopKong, replayKong, tollgateKong, withLogKong, paywallKong);
  // Measure the plugin most policies get: a response phase would mean buffered proxying in Kong,
  // a log phase one more round trip per request.
  const { info } = tollgateKong;
  if (info.Name !== 'tollgate' || info.Phases.join() !== 'access') throw new Error(`expected the tollgate plugin with the access phase only, got ${JSON.stringify(info)}`);
  const plugin = { name: info.Name, phases: info.Phases };
  const onService = tollgateKong.plugin({ policy: JSON.stringify(POLICY) });
  // One entry per route, each naming its policy route, as the compiler emits per-route entries.
  const onRoute = (route) => tollgateKong.plugin({ policy: JSON.stringify(POLICY), route }, { id: `entry-${route}`, routeId: `kong-route-${route}` });
  const replayOf = (calls) => replayKong.plugin({ calls: JSON.stringify(calls) });
  const best = await bestOfRounds({
    noop: { kong: noopKong, row: noopKong.plugin({}), request: ALLOW, status: 200 },
    replayService: { kong: replayKong, row: replayOf(REPLAY.service), request: ALLOW, status: 200 },
    replayPinned: { kong: replayKong, row: replayOf(REPLAY.pinned), request: ALLOW, status: 200 },
    allow: { kong: tollgateKong, row: onService, request: ALLOW, status: 200 },
    deny: { kong: tollgateKong, row: onService, request: DENY, status: 403 },
    pinnedAllow: { kong: tollgateKong, row: onRoute('forecast'), request: ALLOW, status: 200 },
    pinnedDeny: { kong: tollgateKong, row: onRoute('history'), request: DENY, status: 403 },
    withLogPhase: { kong: withLogKong, row: withLogKong.plugin({ policy: JSON.stringify(POLICY) }), request: ALLOW, status: 200 },
  });
  const { noop, allow, deny } = best;
  const replay = { service: best.replayService, pinned: best.replayPinned };
  const pinned = { allow: best.pinnedAllow, deny: best.pinnedDeny };
  sameCalls(allow, REPLAY.service, 'allow');
  sameCalls(pinned.allow, REPLAY.pinned, 'pinned allow');
  const tollgateMemory = await memory(tollgateKong, onService, (i) => (i % 2 === 0 ? ALLOW(i) : DENY(i)));
  const bareMemory = await memory(paywallKong, paywallKong.plugin({}), (i) => ({ method: 'GET', path: '/', headers: i % 2 === 0 ? { 'x-api-key': 'k' } : {} }));

  const vsNoop = (run) => round(run.requestsPerSecond / noop.requestsPerSecond);
  // Plugin-server CPU of one more frame, from the replay (the same calls as Tollgate's allow path,
  // nothing else) against the no-op plugin (one frame).
  const cpuPerFrame = (run) => round((run.pluginServerCpuUsPerRequest - noop.pluginServerCpuUsPerRequest) / (run.rpcFramesPerRequest - 1));
  const results = {
    benchmark: 'kong-pluginserver',
    node: process.version,
    date: new Date().toISOString(),
    setup: { workers: WORKERS, inFlight: IN_FLIGHT, warmup: WARMUP, rounds: ROUNDS, requestsPerRound: REQUESTS, store: 'memory', kongPdk: '0.6.0' },
    baseline: { noopPlugin: noop, replayOfAllowCalls: replay },
    tollgate: { plugin, allow, deny, pinnedToRoute: pinned, allowWithLogPhase: best.withLogPhase },
    ratios: {
      allowVsNoopThroughput: vsNoop(allow),
      denyVsNoopThroughput: vsNoop(deny),
      pinnedAllowVsNoopThroughput: vsNoop(pinned.allow),
      pinnedDenyVsNoopThroughput: vsNoop(pinned.deny),
      allowWithLogPhaseVsNoopThroughput: vsNoop(best.withLogPhase),
      replayVsNoopThroughput: { service: vsNoop(replay.service), pinned: vsNoop(replay.pinned) },
      allowVsReplayThroughput: { service: round(allow.requestsPerSecond / replay.service.requestsPerSecond), pinned: round(pinned.allow.requestsPerSecond / replay.pinned.requestsPerSecond) },
    },
    ipc: {
      pluginServerCpuUsPerExtraFrame: { service: cpuPerFrame(replay.service), pinned: cpuPerFrame(replay.pinned) },
      // Tollgate's own work per allowed request in the plugin server: facts, decision, headers.
      tollgateCpuUsBeyondReplay: { service: allow.pluginServerCpuUsPerRequest - replay.service.pluginServerCpuUsPerRequest, pinned: pinned.allow.pluginServerCpuUsPerRequest - replay.pinned.pluginServerCpuUsPerRequest },
    },
    targets: {
      allowPdkRoundTripsAtMost4: allow.pdkRoundTripsPerRequest <= 4,
      denyPdkRoundTripsAtMost3: deny.pdkRoundTripsPerRequest <= 3,
      allowAtLeast70PercentOfNoop: allow.requestsPerSecond / noop.requestsPerSecond >= 0.7,
    },
    memory: { tollgate: tollgateMemory, bareKongPdkExits: bareMemory },
  };
  mkdirSync(new URL('results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('results/kong-pluginserver.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify({ baseline: results.baseline, tollgate: results.tollgate, ratios: results.ratios, ipc: results.ipc, targets: results.targets }, null, 2));
  console.log('memory (RSS MB after each 10k):', {
    tollgate: tollgateMemory.samples.map((s) => s.rssMb),
    bareKongPdkExits: bareMemory.samples.map((s) => s.rssMb),
  });
} finally {
  for (const kong of harnesses) await kong.close();
  rmSync(noopDir, { recursive: true, force: true });
  rmSync(paywallDir, { recursive: true, force: true });
  rmSync(replayDir, { recursive: true, force: true });
}
