// The GitHub Action is code too: every input it reads must be declared, the example workflow
// may only pass inputs the action declares, and its steps run the committed bundle of the CLI
// (action/dist), which must be what the current sources build.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACTION_BUNDLE, bundleAction } from '../scripts/bundle-action.mjs';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
interface Step {
  readonly id?: string;
  readonly name: string;
  readonly if?: string;
  readonly run?: string;
  readonly env?: Record<string, string>;
}
const action = parse(read('action.yml')) as { inputs: Record<string, { default?: string }>; runs: { using: string; steps: Step[] } };
const repo = new URL('../', import.meta.url).pathname;
const run = promisify(execFile);
/** What the steps run as $TOLLGATE, with the action checked out at `actionPath`. */
const bundleCommand = (actionPath: string) => `node ${join(actionPath, 'action/dist/tollgate.mjs')}`;
const workflow = parse(read('.github/workflows/policies.yml')) as { jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }> };

describe('action.yml', () => {
  it('is a composite action whose steps read only declared inputs', () => {
    expect(action.runs.using).toBe('composite');
    const used = [...read('action.yml').matchAll(/inputs\.([a-z-]+)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(Object.keys(action.inputs), `input ${String(name)}`).toContain(name);
  });

  it('is used by the example workflow with declared inputs only', () => {
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const own = steps.filter((step) => step.uses === './');
    expect(own).toHaveLength(1);
    for (const name of Object.keys(own[0]?.with ?? {})) expect(Object.keys(action.inputs)).toContain(name);
  });
});

describe('the CLI bundle the action runs', () => {
  it('is run by every step that calls tollgate, with no install step', () => {
    const tollgateSteps = action.runs.steps.filter((step) => step.env?.TOLLGATE !== undefined);
    expect(tollgateSteps.map((step) => step.id ?? step.name)).toEqual(['lint', 'test', 'Comment the configuration diff']);
    for (const step of tollgateSteps) expect(step.env?.TOLLGATE).toBe(bundleCommand('${{ github.action_path }}'));
    for (const step of action.runs.steps) expect(step.run ?? '', step.name).not.toMatch(/\b(npm|npx|pnpm|yarn)\b/);
  });

  it('is the committed file the current sources build, byte for byte (else run pnpm run bundle:action)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-action-bundle-'));
    try {
      const fresh = await bundleAction(join(dir, 'tollgate.mjs'));
      const [built, committed] = await Promise.all([readFile(fresh), readFile(ACTION_BUNDLE)]);
      expect(built.equals(committed), `${ACTION_BUNDLE} is out of date with the sources: run pnpm run bundle:action and commit it`).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lints the example policies with the lint step in a folder without node_modules', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-action-fresh-'));
    try {
      await cp(ACTION_BUNDLE, join(dir, 'action/dist/tollgate.mjs'));
      await cp(join(repo, 'policies'), join(dir, 'policies'), { recursive: true });
      const step = action.runs.steps.find((s) => s.id === 'lint');
      const env = { PATH: process.env.PATH ?? '', TOLLGATE: bundleCommand(dir), PATHS: 'policies', FAIL_SEVERITY: 'error', SARIF_FILE: 'tollgate.sarif', GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary') };
      await writeFile(env.GITHUB_OUTPUT, '');
      await run('bash', ['-e', '-c', step?.run ?? 'false'], { cwd: dir, env });
      expect(await readFile(env.GITHUB_OUTPUT, 'utf8')).toBe('exit-code=0\n');
      expect(await readFile(env.GITHUB_STEP_SUMMARY, 'utf8')).toContain('No problems found.');
      expect(JSON.parse(await readFile(join(dir, 'tollgate.sarif'), 'utf8'))).toMatchObject({ version: '2.1.0', runs: [{ tool: { driver: { name: 'tollgate' } } }] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the scenario step of action.yml', () => {
  const step = action.runs.steps.find((s) => s.id === 'test');

  it('runs tollgate test unless the scenarios input is false, and the last step fails on its exit code', () => {
    expect(action.inputs.scenarios?.default).toBe('true');
    expect(step?.if).toBe("${{ inputs.scenarios == 'true' }}");
    expect(step?.run).toContain('$TOLLGATE test $PATHS "${junit_args[@]}" -f github');
    expect(action.runs.steps.at(-1)?.env?.TEST_EXIT).toBe("${{ steps.test.outputs.exit-code || '0' }}");
  });

  it.each([
    ['policies', '0'],
    ['test/fixtures/scenarios-wrong', '1'],
  ])('run by bash on %s, it annotates, writes JUnit and reports exit-code=%s', async (paths, code) => {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-action-'));
    const env = { ...process.env, TOLLGATE: bundleCommand(repo), PATHS: paths, JUNIT_FILE: join(dir, 'junit.xml'), GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary') };
    await writeFile(env.GITHUB_OUTPUT, '');
    const { stdout } = await run('bash', ['-e', '-c', step?.run ?? 'false'], { cwd: repo, env });
    expect(await readFile(env.GITHUB_OUTPUT, 'utf8')).toBe(`exit-code=${code}\n`);
    expect(await readFile(env.JUNIT_FILE, 'utf8')).toContain('<testsuites name="tollgate test"');
    expect(await readFile(env.GITHUB_STEP_SUMMARY, 'utf8')).toContain('### Tollgate scenarios');
    expect(stdout.includes('::error file=test/fixtures/scenarios-wrong/tiny.scenarios.yaml,line=17')).toBe(code === '1');
  });
});
