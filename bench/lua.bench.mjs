// The native Lua adapters under load, in one run: wrk (Debian's) through Debian's nginx +
// lua-nginx-module to an nginx upstream, with
//   no-plugin                        — the same proxy location without any Lua
//   <kong|apisix>-<allow|deny>-<memory|redis> — each adapter (the real handler.lua / tollgate.lua,
//                                      gateway calls stood in by test/lua) and the sidecar deciding,
//                                      on the worker's one pipelined connection
// The sidecar runs in this process (the same server code as dist/tollgate-sidecar.js) so its frame
// counters give the round trips per decision. Best of measured rounds, scenarios interleaved.
// Needs `pnpm run build`, nginx, libnginx-mod-http-lua, lua-cjson, wrk and redis-server.
// Writes bench/results/lua.json.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { luaNginxConf } from '../test/support/lua-nginx-conf.mjs';
import { freePort, waitUntilListening } from './support/net.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { createRuntime } = await import(join(root, 'packages/engine/dist/index.js'));
const { silentLogger } = await import(join(root, 'packages/apisix-runner/dist/index.js'));
const { SidecarHandler, startSidecarServer } = await import(join(root, 'packages/sidecar/dist/index.js'));

const CONNECTIONS = 16;
const DURATION_S = Number(process.env.LUA_BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.LUA_BENCH_ROUNDS ?? 3); // the first warms up

const dir = mkdtempSync(join(tmpdir(), 'lua-bench-'));
chmodSync(dir, 0o755);
const children = [];
try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

async function main() {
  const redisPort = await freePort();
  children.push(spawn('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
  await waitUntilListening(redisPort);
  const socketPath = join(dir, 'sidecar.sock');
  const runtime = createRuntime({ env: {} });
  const sidecar = await startSidecarServer({ socketPath, handler: new SidecarHandler(runtime, silentLogger, 3_600_000) });

  const policy = (store, limit) =>
    JSON.stringify({
      version: 1,
      policy: 'bench',
      routes: [{ name: 'forecast', paths: ['/'] }],
      identity: { auth: 'none', limitBy: 'ip' },
      plans: [{ name: 'free', plan: { rateLimit: { minute: limit } } }],
      defaultPlan: 'free',
      consumerPlans: {},
      costs: {},
      rewrite: { request: { headers: { set: { 'X-Plan': '{{plan}}' } } } },
      store,
    });
  const stores = { memory: { kind: 'memory' }, redis: { kind: 'redis', url: `redis://127.0.0.1:${redisPort}`, timeoutMs: 1000 } };
  const entries = { kong_shim: {}, apisix_shim: {} };
  const scenarios = [{ name: 'no-plugin', path: '/none/' }];
  for (const gateway of ['kong', 'apisix']) {
    for (const path of ['allow', 'deny']) {
      for (const store of ['memory', 'redis']) {
        const entry = `${path}-${store}`;
        // Deny: one request a minute, so all but the first are answered 429 with a problem body.
        entries[`${gateway}_shim`][entry] = { policy: policy({ ...stores[store], keyPrefix: `${gateway}-${entry}` }, path === 'allow' ? 1_000_000_000 : 1), socket: socketPath };
        scenarios.push({ name: `${gateway}-${entry}`, path: `/${gateway}-${entry}/`, shim: `${gateway}_shim`, entry, gateway, kind: path, store });
      }
    }
  }
  const confs = {};
  for (const [shim, byName] of Object.entries(entries)) {
    confs[shim] = join(dir, `${shim}.json`);
    writeFileSync(confs[shim], JSON.stringify(byName));
  }
  const consumersPath = join(dir, 'consumers.json');
  writeFileSync(consumersPath, '{}');
  const port = await freePort();
  const upstreamPort = await freePort();
  const prefix = join(dir, 'nginx');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  writeFileSync(
    join(prefix, 'nginx.conf'),
    luaNginxConf({
      prefix,
      port,
      upstream: `127.0.0.1:${upstreamPort}`,
      locations: scenarios.map((s) => ({ path: s.path, shim: s.shim, entry: s.entry })),
      confs,
      consumersPath,
      extraHttp: `  server { listen 127.0.0.1:${upstreamPort}; location / { return 200 'ok'; } }`,
    }),
  );
  children.push(spawn('/usr/sbin/nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'logs/error.log')], { stdio: 'inherit' }));
  await waitUntilListening(port);

  try {
    const best = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const scenario of scenarios) {
        const before = { ...sidecar.stats };
        const result = await wrk(`http://127.0.0.1:${port}${scenario.path}v1/forecast`, round === 0 ? 1 : DURATION_S);
        const frames = sidecar.stats.register + sidecar.stats.decide + sidecar.stats.complete - (before.register + before.decide + before.complete);
        const decisions = sidecar.stats.decide - before.decide;
        if (round === 0) continue;
        const measured = { ...result, sidecarFrames: frames, decisions, sidecarConnectionsOpened: sidecar.stats.connections - before.connections, roundTripsPerDecision: scenario.shim === undefined ? 0 : round3(frames / Math.max(1, decisions)) };
        if (best[scenario.name] === undefined || measured.rps > best[scenario.name].rps) best[scenario.name] = measured;
        console.log(`${scenario.name.padEnd(22)} ${String(result.rps).padStart(7)} req/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  non-2xx ${result.non2xx}  frames/decision ${measured.roundTripsPerDecision}`);
      }
    }
    const floor = best['no-plugin'];
    const ratio = (name) => round2(best[name].rps / floor.rps);
    const allAdapters = scenarios.filter((s) => s.shim !== undefined);
    const results = {
      benchmark: 'lua: requests/s through nginx with the native Lua adapters and the sidecar, vs the same nginx proxy without a plugin',
      setup: { tool: 'wrk', connections: CONNECTIONS, threads: 1, durationS: DURATION_S, measuredRounds: ROUNDS - 1, nginxWorkers: 1, upstream: 'nginx return 200', identity: 'ip', gatewayCalls: 'test/lua stand-ins (kong_shim, apisix_shim)' },
      baseline: { what: 'no-plugin: the same nginx location proxying without Lua', ...floor },
      allowMemoryVsNoPlugin: { kong: ratio('kong-allow-memory'), apisix: ratio('apisix-allow-memory') },
      allowRedisVsNoPlugin: { kong: ratio('kong-allow-redis'), apisix: ratio('apisix-allow-redis') },
      denyMemoryVsNoPlugin: { kong: ratio('kong-deny-memory'), apisix: ratio('apisix-deny-memory') },
      denyRedisVsNoPlugin: { kong: ratio('kong-deny-redis'), apisix: ratio('apisix-deny-redis') },
      roundTripsPerDecision: Math.max(...allAdapters.map((s) => best[s.name].roundTripsPerDecision)),
      targets: { allowMemory: 0.5, allowRedis: 0.35, roundTripsPerDecision: 1 },
      scenarios: Object.fromEntries(allAdapters.map((s) => [s.name, { ...best[s.name], vsNoPlugin: ratio(s.name) }])),
      note: '2-core machine shared by wrk, nginx (1 worker), the sidecar (this node process) and Redis; best of measured rounds. roundTripsPerDecision counts every frame the sidecar received (registrations included) per decide frame. Each nginx worker pipelines its requests on one connection to the sidecar (tollgate/sidecar_channel.lua): sidecarConnectionsOpened is 0 once the warm-up opened it.',
      node: process.version,
      date: new Date().toISOString(),
    };
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/lua.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(JSON.stringify({ allowMemoryVsNoPlugin: results.allowMemoryVsNoPlugin, allowRedisVsNoPlugin: results.allowRedisVsNoPlugin, roundTripsPerDecision: results.roundTripsPerDecision }, null, 2));
  } finally {
    await sidecar.close(200);
    await runtime.close();
  }
}

/** Asynchronously: the sidecar answering the adapters runs on this process's event loop. */
async function wrk(url, seconds) {
  const child = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const status = await new Promise((resolve) => child.once('exit', resolve));
  if (status !== 0) throw new Error(`wrk failed with ${status}`);
  const number = (re) => Number(out.match(re)?.[1] ?? NaN);
  const ms = (re) => {
    const m = out.match(re);
    if (!m) return NaN;
    const value = Number(m[1]);
    return round2(m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value);
  };
  return {
    requests: number(/(\d+) requests in/),
    rps: Math.round(number(/Requests\/sec:\s+([\d.]+)/)),
    p50Ms: ms(/50%\s+([\d.]+)(us|ms|s)/),
    p99Ms: ms(/99%\s+([\d.]+)(us|ms|s)/),
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/) || 0,
  };
}

function round2(x) {
  return Math.round(x * 100) / 100;
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}
