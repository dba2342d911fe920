// Decisions per second on one local redis-server, Tollgate's Redis store side by side with
// rate-limiter-flexible's RateLimiterRedis (the library a Node user would pick) on the same
// server, the same limit and the same keys, 64 decisions in flight, ioredis auto-pipelining on
// for both. Commands per decision are measured on the server (MONITOR: commands clients sent, not
// those scripts ran), not assumed: Tollgate sends the admissions queued in one event-loop turn as one script
// call, so a decision waits on one round trip and shares it with the others of its batch. CPU per
// decision of this process and of the redis-server says where the time goes. Target: at most 1
// round trip per decision, throughput ahead of rate-limiter-flexible.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createEngine, createRedisStore, systemClock } from '../packages/engine/dist/index.js';
import { freePort, waitUntilListening } from './support/net.mjs';
import { forecastRequests } from './support/workload.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const CONSUMERS = 1000;
const DECISIONS = 40_000;
const ROUNDS = 3;
const IN_FLIGHT = 64;
const SAMPLE = 2000;
const LIMIT_PER_MINUTE = 1_000_000_000; // every decision is admitted: the allow path (which writes) is what runs hot

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await waitUntilListening(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function config(plan) {
  return {
    version: 1,
    policy: 'bench',
    routes: [{ name: 'forecast', paths: ['/v1/forecast'], methods: ['GET'] }],
    identity: { auth: 'key-auth', limitBy: 'consumer' },
    plans: [{ name: 'pro', plan }],
    defaultPlan: 'pro',
    consumerPlans: {},
    costs: {},
    // A generous timeout: a decision answered by the failure mode would not be a measurement.
    store: { kind: 'redis', onFailure: 'closed', timeoutMs: 5000 },
  };
}

const facts = forecastRequests(CONSUMERS);

/** n calls of `one(i)` with IN_FLIGHT outstanding at a time. */
async function run(n, one) {
  let next = 0;
  const lane = async () => {
    while (next < n) await one(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

/** The redis-server's CPU seconds so far (user + system, all its threads), from INFO cpu. */
async function serverCpuSeconds(admin) {
  const info = await admin.info('cpu');
  const seconds = (field) => Number(info.match(new RegExp(`^${field}:([\\d.]+)`, 'm'))?.[1] ?? NaN);
  return seconds('used_cpu_user') + seconds('used_cpu_sys');
}

/**
 * Best of ROUNDS after a warm-up round (the machine is shared and noisy), with where the time goes:
 * CPU µs per decision of this (client) process and of the redis-server, each the least of the
 * rounds (CPU time, unlike throughput, is little disturbed by other work on the machine), and the
 * server's own script time and script calls per decision over those rounds (INFO commandstats).
 */
async function measure(admin, one) {
  await run(DECISIONS / 10, one);
  await admin.config('RESETSTAT');
  let best = Infinity;
  let clientCpu = Infinity;
  let serverCpu = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    globalThis.gc?.();
    const serverBefore = await serverCpuSeconds(admin);
    const clientBefore = process.cpuUsage();
    const started = performance.now();
    await run(DECISIONS, one);
    best = Math.min(best, performance.now() - started);
    const client = process.cpuUsage(clientBefore);
    clientCpu = Math.min(clientCpu, (client.user + client.system) / DECISIONS);
    serverCpu = Math.min(serverCpu, ((await serverCpuSeconds(admin)) - serverBefore) * 1e6 / DECISIONS);
  }
  const stats = (await admin.info('commandstats')).match(/^cmdstat_evalsha:calls=(\d+),usec=(\d+)/m);
  const decisions = ROUNDS * DECISIONS;
  return {
    decisionsPerSec: Math.round((DECISIONS / best) * 1000),
    scriptCallsPerDecision: Number((Number(stats?.[1] ?? NaN) / decisions).toFixed(4)),
    serverScriptUsecPerDecision: Number((Number(stats?.[2] ?? NaN) / decisions).toFixed(2)),
    clientCpuUsecPerDecision: Number(clientCpu.toFixed(1)),
    serverCpuUsecPerDecision: Number(serverCpu.toFixed(1)),
  };
}

/** Commands clients sent per decision, counted by the server's MONITOR over SAMPLE decisions. */
async function commandsSent(admin, one) {
  const monitor = await admin.monitor();
  const counts = {};
  monitor.on('monitor', (_time, args, source) => {
    if (source === 'lua') return;
    const name = String(args[0]).toLowerCase();
    counts[name] = (counts[name] ?? 0) + 1;
  });
  await run(SAMPLE, one);
  await admin.ping();
  await new Promise((r) => setTimeout(r, 100));
  monitor.disconnect();
  // Let the monitor connection close before anything else is measured.
  await new Promise((r) => setTimeout(r, 100));
  delete counts.ping;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return { perDecision: Number((total / SAMPLE).toFixed(4)), commands: counts };
}

function engineOn(store, plan) {
  const compiled = createEngine(config(plan), store, systemClock);
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.engine;
}

function checked(decision) {
  if (decision.kind !== 'allow' || decision.log.degraded !== undefined) throw new Error(`expected an admission, got ${JSON.stringify(decision.log)}`);
}

const redis = await startRedis();
const clients = [];
try {
  const admin = new Redis(redis.url);
  clients.push(admin);
  const simplePlan = { rateLimit: { minute: LIMIT_PER_MINUTE } };
  const fullPlan = { rateLimit: { second: LIMIT_PER_MINUTE, minute: LIMIT_PER_MINUTE, window: 'sliding' }, quota: { requests: LIMIT_PER_MINUTE, per: 'month' } };

  const store = createRedisStore({ kind: 'redis', url: redis.url, keyPrefix: 'tollgate', timeoutMs: 5000 });
  const simple = engineOn(store, simplePlan);
  const full = engineOn(store, fullPlan);
  const decideSimple = async (i) => checked(await simple.decide(facts[i % CONSUMERS]));
  const decideFull = async (i) => checked(await full.decide(facts[i % CONSUMERS]));

  // The same kind of ioredis client the store makes: auto-pipelining on, no offline queue.
  const rlfClient = new Redis(redis.url, { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  clients.push(rlfClient);
  await new Promise((resolve) => rlfClient.once('ready', resolve));
  const limiter = new RateLimiterRedis({ storeClient: rlfClient, points: LIMIT_PER_MINUTE, duration: 60, keyPrefix: 'rlf' });
  const consume = async (i) => {
    await limiter.consume(facts[i % CONSUMERS].consumer.username);
  };

  await decideSimple(0);
  await admin.flushall();
  const tollgateSimple = await measure(admin, decideSimple);
  const rlf = await measure(admin, consume);
  const tollgateFull = await measure(admin, decideFull);
  const sentSimple = await commandsSent(admin, decideSimple);
  const sentFull = await commandsSent(admin, decideFull);
  const sentRlf = await commandsSent(admin, consume);
  await store.close();

  const result = {
    benchmark: `decisions/s on one local redis-server, ${IN_FLIGHT} in flight, best of ${ROUNDS} × ${DECISIONS.toLocaleString('en')} decisions over ${CONSUMERS} consumers; commands per decision from MONITOR over ${SAMPLE} decisions`,
    date: new Date().toISOString(),
    node: process.version,
    redis: (await admin.info('server')).match(/redis_version:(\S+)/)?.[1],
    tollgate: {
      ...tollgateSimple,
      commandsPerDecision: sentSimple.perDecision,
      commands: sentSimple.commands,
      note: 'full engine.decide(): route, identity, the admit script (plan, fixed minute window check and update; one call for the admissions queued in the same event-loop turn), draft-11 RateLimit headers, Allow',
    },
    tollgateFullPlan: {
      ...tollgateFull,
      commandsPerDecision: sentFull.perDecision,
      commands: sentFull.commands,
      note: 'same, with sliding second + minute windows and a monthly request quota, all in the same script call',
    },
    baseline: {
      tool: 'rate-limiter-flexible 11.4.0 RateLimiterRedis (ioredis, auto-pipelining)',
      ...rlf,
      commandsPerDecision: sentRlf.perDecision,
      commands: sentRlf.commands,
      note: 'consume(key) on a fixed 60 s window: no plans, no quota, no headers',
    },
    note: 'commandsPerDecision: commands clients sent (MONITOR) per decision; a decision waits on the reply of one, so it takes one round trip, and below 1 it shares that command with others. With auto-pipelining a batch of commands goes out, Redis runs it, then the replies come back: client and server time add up, so decisions/s ≈ 1 / (clientCpuUsecPerDecision + serverCpuUsecPerDecision + waiting). serverCpuUsecPerDecision is the whole redis-server (INFO cpu: protocol, script, reply), serverScriptUsecPerDecision the script calls alone (INFO commandstats).',
    ratio: Number((tollgateSimple.decisionsPerSec / rlf.decisionsPerSec).toFixed(2)),
    ratioFullPlan: Number((tollgateFull.decisionsPerSec / rlf.decisionsPerSec).toFixed(2)),
    meetsTarget: sentSimple.perDecision <= 1 && sentFull.perDecision <= 1 && tollgateSimple.decisionsPerSec > rlf.decisionsPerSec,
  };
  mkdirSync(join(repo, 'bench/results'), { recursive: true });
  writeFileSync(join(repo, 'bench/results/engine-redis.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  redis.stop();
}
