// What operations cost per decision on the memory store: the same engine and workload with no
// observer (the baseline, measured in the same run), with Prometheus metrics only, and with metrics
// plus the JSON-lines decision log appended to a file. Best of 3 rounds, interleaved so machine
// noise hits every variant. Needs `pnpm run build`. Writes bench/results/engine-operations.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRuntime } from '../packages/engine/dist/index.js';
import { forecastRequests } from './support/workload.mjs';

const CONSUMERS = 1000;
const DECISIONS = 300_000;
const ROUNDS = 3;

const config = {
  version: 1,
  policy: 'bench',
  routes: [{ name: 'forecast', paths: ['/v1/forecast'], methods: ['GET'] }],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [{ name: 'pro', plan: { rateLimit: { minute: 1_000_000_000 } } }],
  defaultPlan: 'pro',
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
};
const facts = forecastRequests(CONSUMERS);

const dir = mkdtempSync(join(tmpdir(), 'tollgate-ops-bench-'));
const variants = [
  { name: 'baseline (no operations)', env: {} },
  { name: 'metrics', env: { TOLLGATE_METRICS_PORT: '0' } },
  { name: 'metrics + decision log file', env: { TOLLGATE_METRICS_PORT: '0', TOLLGATE_DECISION_LOG: join(dir, 'decisions.jsonl') } },
].map((v) => {
  const runtime = createRuntime({ env: v.env });
  const compiled = runtime.engineFor(JSON.stringify(config));
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return { ...v, runtime, engine: compiled.engine, best: Infinity };
});

async function run(engine, n) {
  let allowed = 0;
  for (let i = 0; i < n; i++) if ((await engine.decide(facts[i % CONSUMERS])).kind === 'allow') allowed++;
  if (allowed !== n) throw new Error(`expected ${n} admissions, got ${allowed}`);
}

for (const v of variants) await run(v.engine, DECISIONS / 10);
for (let r = 0; r < ROUNDS; r++) {
  for (const v of variants) {
    const started = performance.now();
    await run(v.engine, DECISIONS);
    v.best = Math.min(v.best, performance.now() - started);
  }
}
await Promise.all(variants.map((v) => v.runtime.close()));
rmSync(dir, { recursive: true, force: true });

const perSecond = (ms) => Math.round((DECISIONS / ms) * 1000);
const [baseline, ...others] = variants;
const result = {
  benchmark: `awaited engine decisions/s on the memory store with operations on vs off (best of ${ROUNDS} × ${DECISIONS}, ${CONSUMERS} consumers)`,
  date: new Date().toISOString(),
  node: process.version,
  baseline: { variant: baseline.name, decisionsPerSec: perSecond(baseline.best) },
  variants: others.map((v) => ({
    variant: v.name,
    decisionsPerSec: perSecond(v.best),
    ratioToBaseline: Math.round((baseline.best / v.best) * 100) / 100,
    addedMicrosPerDecision: Math.round(((v.best - baseline.best) / DECISIONS) * 1000 * 100) / 100,
  })),
};
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
writeFileSync(new URL('results/engine-operations.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
