// Start-up of the processes a gateway spawns, from spawn() to the socket accepting and to the
// first answered call, median of interleaved rounds:
//   node-floor        — bare `node` binding a unix socket: what no entry can beat (the baseline)
//   apisix-runner     — tollgate-runner.js: listening, and a PrepareConf of a Tollgate conf answered
//   sidecar           — tollgate-sidecar.js: listening, and a REGISTER answered
//   kong-pluginserver — kong-js-pluginserver with the tollgate plugin: listening
//   kong-dump         — its query command (--dump-all-plugins) until it exited; kong-dump-floor
//                       the same with an empty plugin directory (kong-pdk alone)
// On an APISIX reload the old runner is killed 1 s after SIGTERM while the new one starts: the
// runner must listen well within that (docs/apisix.md, "Stopping"). Listening is seen through
// inotify on the socket's directory (no polling that would steal the CPU being measured).
// Needs `pnpm run build`. TOLLGATE_RUNNER_BUNDLE, TOLLGATE_SIDECAR_BUNDLE and TOLLGATE_KONG_PLUGIN_DIR
// measure other builds (e.g. an older commit's) and then write nothing.
// Writes bench/results/startup.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = 7;
const runnerBundle = process.env.TOLLGATE_RUNNER_BUNDLE ?? join(root, 'packages/apisix-runner/dist/tollgate-runner.js');
const sidecarBundle = process.env.TOLLGATE_SIDECAR_BUNDLE ?? join(root, 'packages/sidecar/dist/tollgate-sidecar.js');
const kongPlugins = process.env.TOLLGATE_KONG_PLUGIN_DIR ?? join(root, 'packages/kong-plugin/dist/kong');
const overridden = ['TOLLGATE_RUNNER_BUNDLE', 'TOLLGATE_SIDECAR_BUNDLE', 'TOLLGATE_KONG_PLUGIN_DIR'].some((name) => process.env[name] !== undefined);
const kongPdkBin = join(createRequire(join(root, 'packages/kong-plugin/package.json')).resolve('kong-pdk/package.json'), '../bin/kong-js-pluginserver');

const { apisixCodec } = await import(join(root, 'packages/apisix-runner/dist/apisix-side/index.js'));
const { encodeFrame, FrameReader } = await import(join(root, 'packages/apisix-runner/dist/index.js'));
const { FrameType } = await import(join(root, 'packages/sidecar/dist/index.js'));

const policy = JSON.stringify({
  version: 1,
  policy: 'startup',
  routes: [{ name: 'forecast', paths: ['/v1/forecast'], methods: ['GET'] }],
  identity: { auth: 'none', limitBy: 'ip' },
  plans: [{ name: 'free', plan: { rateLimit: { minute: 100 } } }],
  defaultPlan: 'free',
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
});
const prepareConf = apisixCodec.encodePrepareConfRequest({ key: 'route#1#ext-plugin-post-req', conf: [{ name: 'tollgate', value: policy }] });
const register = encodeFrame(FrameType.Register, Buffer.from(JSON.stringify({ policy, gateway: 'apisix' })));

const scenarios = {
  'node-floor': (dir) => ({
    args: ['-e', `require('node:net').createServer().listen(${JSON.stringify(join(dir, 's.sock'))})`],
    socket: join(dir, 's.sock'),
  }),
  'apisix-runner': (dir) => ({
    args: [runnerBundle],
    env: { APISIX_LISTEN_ADDRESS: `unix:${join(dir, 's.sock')}`, APISIX_CONF_EXPIRE_TIME: '3600', TOLLGATE_LOG_LEVEL: 'warn' },
    socket: join(dir, 's.sock'),
    firstCall: prepareConf,
  }),
  sidecar: (dir) => ({
    args: [sidecarBundle],
    env: { TOLLGATE_SIDECAR_SOCKET: join(dir, 's.sock'), TOLLGATE_LOG_LEVEL: 'warn' },
    socket: join(dir, 's.sock'),
    firstCall: register,
  }),
  'kong-pluginserver': (dir) => ({
    args: ['--require', join(kongPlugins, 'without-typescript.cjs'), kongPdkBin, '--plugins-directory', join(kongPlugins, 'tollgate'), '--kong-prefix', dir, '--sock-name', 's.sock'],
    socket: join(dir, 's.sock'),
  }),
  'kong-dump': () => ({ args: ['--require', join(kongPlugins, 'without-typescript.cjs'), kongPdkBin, '--plugins-directory', join(kongPlugins, 'tollgate'), '--dump-all-plugins'] }),
  'kong-dump-floor': (dir) => ({ args: ['--require', join(kongPlugins, 'without-typescript.cjs'), kongPdkBin, '--plugins-directory', dir, '--dump-all-plugins'] }),
};

/** One start: ms from spawn to listening (or exit, without a socket) and to the first call answered. */
async function startOnce(name) {
  const dir = mkdtempSync(join(tmpdir(), 'startup-bench-'));
  const { args, env = {}, socket, firstCall } = scenarios[name](dir);
  const watcher = socket === undefined ? undefined : watch(dir);
  const began = performance.now();
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    if (socket === undefined) {
      await exited;
      return { exitedMs: performance.now() - began };
    }
    const connection = await firstConnection(watcher, socket);
    const listeningMs = performance.now() - began;
    if (firstCall === undefined) {
      connection.destroy();
      return { listeningMs };
    }
    await answered(connection, firstCall);
    return { listeningMs, firstAnswerMs: performance.now() - began };
  } finally {
    watcher?.close();
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first connect that succeeds once the socket file appeared (bind comes a moment before listen). */
function firstConnection(watcher, socket) {
  return new Promise((resolve) => {
    const attempt = () => {
      const connection = createConnection(socket);
      connection.once('connect', () => {
        watcher.close();
        resolve(connection);
      });
      connection.once('error', () => setImmediate(attempt));
    };
    watcher.once('change', attempt);
  });
}

function answered(connection, frame) {
  return new Promise((resolve, reject) => {
    const reader = new FrameReader();
    connection.on('data', (chunk) => {
      if (reader.push(chunk).length > 0) {
        connection.destroy();
        resolve();
      }
    });
    connection.once('error', reject);
    connection.write(frame);
  });
}

const samples = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const name of Object.keys(scenarios)) {
    const result = await startOnce(name);
    for (const [metric, ms] of Object.entries(result)) (samples[`${name} ${metric}`] ??= []).push(ms);
  }
}
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]);
};
const medians = Object.fromEntries(Object.entries(samples).map(([key, xs]) => [key, median(xs)]));
const floor = medians['node-floor listeningMs'];
const dumpFloor = medians['kong-dump-floor exitedMs'];
const results = {
  benchmark: 'startup: ms from spawn() to listening and to the first answered call (median)',
  setup: { rounds: ROUNDS, store: 'memory', runnerBundle, sidecarBundle, kongPlugins, loadAverageAtEnd: loadavg()[0] },
  baseline: { what: 'node-floor: bare node binding a unix socket', listeningMs: floor },
  scenarios: Object.fromEntries(
    Object.entries(medians)
      .filter(([key]) => !key.startsWith('node-floor'))
      .map(([key, ms]) => [key, { ms, timesFloor: Math.round((ms / (key.startsWith('kong-dump ') ? dumpFloor : floor)) * 100) / 100 }]),
  ),
  note: 'kong-dump is relative to kong-dump-floor (kong-pdk alone); everything else to node-floor. On a loaded host every figure grows several-fold.',
  samples: Object.fromEntries(Object.entries(samples).map(([key, xs]) => [key, xs.map(Math.round)])),
  node: process.version,
  date: new Date().toISOString(),
};
console.log(JSON.stringify(results.scenarios, null, 2), `\nnode-floor ${floor} ms`);
if (!overridden) {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/startup.json'), `${JSON.stringify(results, null, 2)}\n`);
}
