// Engine decisions per second on the memory store, side by side with rate-limiter-flexible's
// RateLimiterMemory (what a Node user would pick) on the same limits and keys, in one process and
// one run; plus heap per 100k tracked consumers for both. Target: ≥ 1M decisions/s on one core
// and ahead of rate-limiter-flexible. rate-limiter-flexible is measured twice: consume() alone, and
// consume() plus the response fields a gateway must send, which Tollgate's decisions include.
import { writeFileSync, mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { createEngine, createMemoryStore, systemClock } from '../packages/engine/dist/index.js';
import { forecastRequests } from './support/workload.mjs';

const CONSUMERS = 1000;
const DECISIONS = 2_000_000;
const ROUNDS = 5;
const TRACKED = 100_000;
const LIMIT_PER_MINUTE = 1_000_000_000; // every decision is admitted: the allow path is what runs hot

const config = {
  version: 1,
  policy: 'bench',
  routes: [{ name: 'forecast', paths: ['/v1/forecast'], methods: ['GET'] }],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [{ name: 'pro', plan: { rateLimit: { minute: LIMIT_PER_MINUTE } } }],
  defaultPlan: 'pro',
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
};

function engineWith(store) {
  const compiled = createEngine(config, store, systemClock);
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.engine;
}

const facts = forecastRequests(CONSUMERS);
const keys = facts.map((f) => f.consumer.username);

function perSecond(n, ms) {
  return Math.round((n / ms) * 1000);
}

/**
 * Decisions/s of each contender: best of ROUNDS after one warm-up round each, the rounds of all
 * contenders interleaved so that the machine's noise (it is shared) hits every one of them alike.
 */
async function measureAll(contenders) {
  for (const run of Object.values(contenders)) await run(DECISIONS / 10);
  const best = Object.fromEntries(Object.keys(contenders).map((name) => [name, Infinity]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of Object.entries(contenders)) {
      const started = performance.now();
      await run(DECISIONS);
      best[name] = Math.min(best[name], performance.now() - started);
    }
  }
  return Object.fromEntries(Object.entries(best).map(([name, ms]) => [name, perSecond(DECISIONS, ms)]));
}

const engine = engineWith(createMemoryStore());
const limiter = new RateLimiterMemory({ points: LIMIT_PER_MINUTE, duration: 60 });
// Like for like: a gateway answers with RateLimit fields, so a caller of rate-limiter-flexible
// builds them from its result: the same two draft-11 fields Tollgate sends (the policy one is constant).
const RLF_POLICY = `"minute";q=${LIMIT_PER_MINUTE};w=60`;
let rlfHeaders;

let allowed = 0;
const measured = await measureAll({
  tollgateSync: async (n) => {
    for (let i = 0; i < n; i++) if (engine.decide(facts[i % CONSUMERS]).kind === 'allow') allowed++;
  },
  tollgateAwaited: async (n) => {
    for (let i = 0; i < n; i++) if ((await engine.decide(facts[i % CONSUMERS])).kind === 'allow') allowed++;
  },
  rlfAwaited: async (n) => {
    for (let i = 0; i < n; i++) {
      await limiter.consume(keys[i % CONSUMERS]);
      allowed++;
    }
  },
  rlfWithHeaders: async (n) => {
    for (let i = 0; i < n; i++) {
      const res = await limiter.consume(keys[i % CONSUMERS]);
      rlfHeaders = { 'RateLimit-Policy': RLF_POLICY, RateLimit: `"minute";r=${res.remainingPoints};t=${Math.max(1, Math.ceil(res.msBeforeNext / 1000))}` };
      allowed++;
    }
  },
});
const { tollgateSync, tollgateAwaited, rlfAwaited, rlfWithHeaders } = measured;
if (!rlfHeaders.RateLimit.startsWith('"minute";r=')) throw new Error('rate-limiter-flexible headers were not built');
if (allowed !== (DECISIONS / 10 + DECISIONS * ROUNDS) * 4) throw new Error(`expected every decision to be admitted, got ${allowed}`);

/** Heap growth (after GC) for TRACKED distinct consumers making one request each. */
async function heapPer(track) {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const keep = await track();
  globalThis.gc?.();
  const after = process.memoryUsage().heapUsed;
  if (keep === undefined) throw new Error('keep the tracked state alive');
  return after - before;
}

const tollgateHeap = await heapPer(() => {
  const store = createMemoryStore();
  const e = engineWith(store);
  for (let i = 0; i < TRACKED; i++) e.decide({ ...facts[0], consumer: { username: `tracked-${i}` } });
  if (store.stats.accounts !== TRACKED) throw new Error(`expected ${TRACKED} accounts, got ${store.stats.accounts}`);
  return store;
});
const rlfHeap = await heapPer(async () => {
  const l = new RateLimiterMemory({ points: LIMIT_PER_MINUTE, duration: 60 });
  for (let i = 0; i < TRACKED; i++) await l.consume(`tracked-${i}`);
  return l;
});

const result = {
  benchmark: 'engine decisions/s on the memory store vs rate-limiter-flexible RateLimiterMemory (best of 5 interleaved rounds × 2M decisions, 1,000 consumers, one minute window)',
  date: new Date().toISOString(),
  node: process.version,
  gcExposed: typeof globalThis.gc === 'function',
  tollgate: {
    decisionsPerSecSync: tollgateSync,
    decisionsPerSecAwaited: tollgateAwaited,
    note: 'full decide(): route rules, identity, admission (plan, window check and update), draft-11 RateLimit headers, Allow object',
  },
  baseline: { tool: 'rate-limiter-flexible 11.4.0 RateLimiterMemory', decisionsPerSecAwaited: rlfAwaited, note: 'consume(key) only: no plans, no headers' },
  baselineWithHeaders: {
    tool: 'rate-limiter-flexible 11.4.0 RateLimiterMemory',
    decisionsPerSecAwaited: rlfWithHeaders,
    note: 'consume(key), then the draft-11 RateLimit-Policy and RateLimit fields built from its result: the same response fields as Tollgate',
  },
  ratioAwaited: Number((tollgateAwaited / rlfAwaited).toFixed(2)),
  ratioAwaitedVsBaselineWithHeaders: Number((tollgateAwaited / rlfWithHeaders).toFixed(2)),
  ratioSyncVsBaseline: Number((tollgateSync / rlfAwaited).toFixed(2)),
  memoryPer100kConsumers: {
    tollgateBytes: tollgateHeap,
    baselineBytes: rlfHeap,
    ratio: Number((tollgateHeap / rlfHeap).toFixed(2)),
  },
  target: {
    decisionsPerSec: 1_000_000,
    meetsTarget: tollgateSync >= 1_000_000,
    aheadOfBaseline: tollgateAwaited > rlfAwaited,
    aheadOfBaselineWithHeaders: tollgateAwaited > rlfWithHeaders,
  },
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/engine-memory.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
