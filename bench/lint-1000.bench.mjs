// Lint 1,000 generated policy files with `tollgate lint`, and the same files with Spectral (the
// linter people already use) running our JSON Schema as a ruleset: both as CLI processes, the
// same way a CI job runs them. Target: tollgate under 2 s, and faster than Spectral.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const FILES = 1000;
const RUNS = 3;

function policyFile(i) {
  return `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: api-${i}, owner: team-${i % 17} }
spec:
  service: { name: svc-${i}, url: "http://svc-${i}.internal:8080" }
  routes:
    - { name: r${i}-read, paths: [/v${i}/items], methods: [GET] }
    - { name: r${i}-write, paths: [/v${i}/items], methods: [POST, PUT] }
    - { name: r${i}-admin, paths: [/v${i}/admin] }
  identity: { auth: key-auth, limitBy: consumer }
  plans:
    free: { rateLimit: { second: 5, minute: 100 }, quota: { requests: 10000, per: month }, routes: [r${i}-read] }
    pro: { rateLimit: { second: 50, minute: 1000, window: sliding }, quota: { units: 500000, per: month }, overage: credits }
  defaultPlan: free
  costs: { default: 1, routes: { r${i}-write: 5 } }
  subscription: { required: true, graceDays: 3 }
  payment: { upgradeUrl: "https://billing.example.com/upgrade", topUpUrl: "https://billing.example.com/top-up" }
  rewrite: { request: { headers: { set: { X-Plan: "{{plan}}" }, remove: [Cookie] } } }
  store: { kind: redis, url: { env: TOLLGATE_REDIS_URL }, onFailure: open, timeoutMs: 50 }
`;
}

function time(command, args) {
  const samples = [];
  let status;
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    const result = spawnSync(command, args, { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    samples.push(performance.now() - started);
    status = result.status;
    if (result.error) throw result.error;
  }
  samples.sort((a, b) => a - b);
  return { medianMs: Math.round(samples[Math.floor(RUNS / 2)]), samplesMs: samples.map(Math.round), exitCode: status };
}

const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-lint-'));
try {
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  for (let i = 0; i < FILES; i += 1) writeFileSync(join(policies, `api-${String(i).padStart(4, '0')}.yaml`), policyFile(i));
  const schema = JSON.parse(readFileSync(join(repo, 'schema/policy.schema.json'), 'utf8'));
  const ruleset = join(dir, 'ruleset.json');
  writeFileSync(ruleset, JSON.stringify({ rules: { 'tollgate-schema': { given: '$', severity: 'error', then: { function: 'schema', functionOptions: { schema, dialect: 'auto' } } } } }));

  const tollgate = time(process.execPath, [join(repo, 'packages/cli/bin/tollgate.js'), 'lint', policies, '-f', 'json']);
  const spectralBin = join(repo, 'node_modules/@stoplight/spectral-cli/dist/index.js');
  const spectral = time(process.execPath, [spectralBin, 'lint', `${policies}/*.yaml`, '-r', ruleset, '-f', 'json', '--quiet']);
  const result = {
    benchmark: 'lint 1,000 policy files (CLI process, median of 3)',
    date: new Date().toISOString(),
    node: process.version,
    files: FILES,
    tollgate: { ...tollgate, checks: 'JSON Schema + 14 semantic rules + YAML 1.1 checks' },
    baseline: { tool: `@stoplight/spectral-cli ${execFileSync(process.execPath, [spectralBin, '--version'], { encoding: 'utf8' }).trim()}`, ...spectral, checks: 'JSON Schema only' },
    speedupVsSpectral: Number((spectral.medianMs / tollgate.medianMs).toFixed(2)),
    targetMs: 2000,
    meetsTarget: tollgate.medianMs < 2000 && tollgate.medianMs < spectral.medianMs,
  };
  mkdirSync(join(repo, 'bench/results'), { recursive: true });
  writeFileSync(join(repo, 'bench/results/lint-1000.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  if (tollgate.exitCode !== 0) throw new Error(`tollgate lint exited ${tollgate.exitCode} on the generated files`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
