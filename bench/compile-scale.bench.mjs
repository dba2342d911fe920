// Compiles 1,000 policies with 10,000 routes for Kong and APISIX (target: under 2 s each).
// Baseline, measured in the same run: parsing the same YAML with the yaml package, the least any
// tool reading these files does. Run `pnpm run build` first (this imports the built packages).
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseAllDocuments } from 'yaml';
import { compile } from '../packages/compiler/dist/index.js';
import { lint, loadProject } from '../packages/policy/dist/index.js';

const POLICIES = 1000;
const ROUTES_PER_POLICY = 10;
const RUNS = 3;

function policyFile(i) {
  const routes = Array.from({ length: ROUTES_PER_POLICY }, (_, r) => `    - { name: p${i}-r${r}, paths: [/p${i}/r${r}], methods: [GET, POST] }`).join('\n');
  return `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: policy-${i} }
spec:
  service: { name: svc-${i}, url: "http://svc-${i}.internal:8080/v1" }
  routes:
${routes}
  identity: { auth: key-auth, limitBy: consumer }
  plans:
    free: { rateLimit: { minute: 60 }, quota: { requests: 1000, per: month }, routes: [p${i}-r0] }
    pro: { rateLimit: { minute: 600, window: sliding }, quota: { units: 100000, per: month }, overage: credits }
  defaultPlan: free
  costs: { default: 1, routes: { p${i}-r1: 5 } }
  subscription: { required: true, graceDays: 3 }
  rewrite: { request: { headers: { set: { X-Plan: "{{plan}}" } } } }
  store: { kind: memory }
`;
}

const encoder = new TextEncoder();
const texts = Array.from({ length: POLICIES }, (_, i) => policyFile(i));
const files = texts.map((text, i) => ({ path: `policies/p${i}.yaml`, bytes: encoder.encode(text) }));

function best(fn) {
  let min = Infinity;
  let result;
  for (let run = 0; run < RUNS; run += 1) {
    globalThis.gc?.();
    const start = performance.now();
    result = fn();
    min = Math.min(min, performance.now() - start);
  }
  return { ms: Math.round(min), result };
}

const baseline = best(() => texts.map((t) => parseAllDocuments(t)));
const load = best(() => loadProject(files));
const linted = best(() => lint(files));
const { project } = load.result;
if (project.policies.length !== POLICIES) throw new Error(`expected ${POLICIES} policies, loaded ${project.policies.length}`);

const targets = {};
for (const [name, target, options] of [
  ['kong', 'kong', { mode: 'full', kongEdition: 'oss', apisixFormat: 'standalone' }],
  ['apisix-standalone', 'apisix', { mode: 'full', kongEdition: 'oss', apisixFormat: 'standalone' }],
  ['apisix-adc', 'apisix', { mode: 'full', kongEdition: 'oss', apisixFormat: 'adc' }],
]) {
  const run = best(() => compile(project, target, options));
  if (!run.result.ok) throw new Error(`${name} failed: ${JSON.stringify(run.result.diagnostics.slice(0, 3))}`);
  targets[name] = { compileMs: run.ms, outputBytes: run.result.files[0].text.length, ratioToYamlParse: +(run.ms / baseline.ms).toFixed(2), under2s: run.ms < 2000 };
}

const results = {
  benchmark: 'compile-scale',
  input: { policies: POLICIES, routes: POLICIES * ROUTES_PER_POLICY, bytes: texts.reduce((n, t) => n + t.length, 0) },
  baseline: { what: 'yaml parseAllDocuments of the same files', ms: baseline.ms },
  loadProjectMs: load.ms,
  lintMs: linted.ms,
  targets,
  runs: RUNS,
  note: 'best of runs, milliseconds; 2-core shared machine, compare ratios',
  node: process.version,
  date: new Date().toISOString(),
};
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('compile-scale.json', dir), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
