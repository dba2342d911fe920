// Engine decisions per second on the memory store, side by side with rate-limiter-flexible's
// RateLimiterMemory (what a Node user would pick) on the same limits and keys, in one process and
// one run; plus heap per 100k tracked consumers for both. Target: ≥ 1M decisions/s on one core
// and ahead of rate-limiter-flexible.
import { writeFileSync, mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { createEngine, createMemoryStore, systemClock } from '../packages/engine/dist/index.js';
import { forecastRequests } from './support/workload.mjs';

const CONSUMERS = 1000;
const DECISIONS = 2_000_000;
const ROUNDS = 3;
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

/** Best of ROUNDS, after one warm-up round: the machine is shared and noisy. */
async function measure(run) {
  await run(DECISIONS / 10);
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const started = performance.now();
    await run(DECISIONS);
    best = Math.min(best, performance.now() - started);
  }
  return perSecond(DECISIONS, best);
}

const engine = engineWith(createMemoryStore());
const limiter = new RateLimiterMemory({ points: LIMIT_PER_MINUTE, duration: 60 });

let allowed = 0;
const tollgateSync = await measure(async (n) => {
  for (let i = 0; i < n; i++) if (engine.decide(facts[i % CONSUMERS]).kind === 'allow') allowed++;
});
const tollgateAwaited = await measure(async (n) => {
  for (let i = 0; i < n; i++) if ((await engine.decide(facts[i % CONSUMERS])).kind === 'allow') allowed++;
});
const rlfAwaited = await measure(async (n) => {
  for (let i = 0; i < n; i++) {
    await limiter.consume(keys[i % CONSUMERS]);
    allowed++;
  }
});
if (allowed !== (DECISIONS / 10 + DECISIONS * ROUNDS) * 3) throw new Error(`expected every decision to be admitted, got ${allowed}`);

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
  benchmark: 'engine decisions/s on the memory store vs rate-limiter-flexible RateLimiterMemory (best of 3 × 2M decisions, 1,000 consumers, one minute window)',
  date: new Date().toISOString(),
  node: process.version,
  gcExposed: typeof globalThis.gc === 'function',
  tollgate: {
    decisionsPerSecSync: tollgateSync,
    decisionsPerSecAwaited: tollgateAwaited,
    note: 'full decide(): route rules, identity, admission (plan, window check and update), draft-11 RateLimit headers, Allow object',
  },
  baseline: { tool: 'rate-limiter-flexible 11.4.0 RateLimiterMemory', decisionsPerSecAwaited: rlfAwaited, note: 'consume(key) only: no plans, no headers' },
  ratioAwaited: Number((tollgateAwaited / rlfAwaited).toFixed(2)),
  ratioSyncVsBaseline: Number((tollgateSync / rlfAwaited).toFixed(2)),
  memoryPer100kConsumers: {
    tollgateBytes: tollgateHeap,
    baselineBytes: rlfHeap,
    ratio: Number((tollgateHeap / rlfHeap).toFixed(2)),
  },
  target: { decisionsPerSec: 1_000_000, meetsTarget: tollgateSync >= 1_000_000, aheadOfBaseline: tollgateAwaited > rlfAwaited },
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/engine-memory.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
