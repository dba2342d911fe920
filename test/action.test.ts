// The GitHub Action is code too: every input it reads must be declared, and the example workflow
// may only pass inputs the action declares.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

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
    const env = { ...process.env, TOLLGATE: `node ${join(repo, 'packages/cli/bin/tollgate.js')}`, PATHS: paths, JUNIT_FILE: join(dir, 'junit.xml'), GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: join(dir, 'summary') };
    await writeFile(env.GITHUB_OUTPUT, '');
    const { stdout } = await promisify(execFile)('bash', ['-e', '-c', step?.run ?? 'false'], { cwd: repo, env });
    expect(await readFile(env.GITHUB_OUTPUT, 'utf8')).toBe(`exit-code=${code}\n`);
    expect(await readFile(env.JUNIT_FILE, 'utf8')).toContain('<testsuites name="tollgate test"');
    expect(await readFile(env.GITHUB_STEP_SUMMARY, 'utf8')).toContain('### Tollgate scenarios');
    expect(stdout.includes('::error file=test/fixtures/scenarios-wrong/tiny.scenarios.yaml,line=17')).toBe(code === '1');
  });
});
