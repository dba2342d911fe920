import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';

const repo = new URL('../../../../', import.meta.url).pathname;
const bin = join(repo, 'packages/cli/bin/tollgate.js');
const WRONG = 'test/fixtures/scenarios-wrong';
const WRONG_FILE = `${WRONG}/tiny.scenarios.yaml`;

describe('tollgate test', () => {
  it('passes the scenarios of every example policy (exit 0), and each example has some', async () => {
    const result = await runCli(['test', 'policies'], repo);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const example of ['legacy-api', 'llm-proxy', 'mcp-tools', 'weather-api']) expect(result.stdout).toContain(`policies/${example}/${example}.scenarios.yaml\n  ✓`);
    expect(result.stdout).not.toContain('✖');
    expect(result.stdout).toMatch(/✓ \d+ scenarios: \d+ passed, 0 failed\n$/);
  });

  it('lint of the example folder takes the scenario files in its stride', async () => {
    expect(await runCli(['lint', 'policies'], repo)).toEqual({ code: 0, stdout: 'No problems found.\n', stderr: '' });
  });

  it('points a wrong expectation at its file:line:col in a real process, and exits 1', async () => {
    const run = await promisify(execFile)(process.execPath, [bin, 'test', WRONG, '-f', 'github'], { cwd: repo }).then(
      (done) => ({ code: 0, ...done }),
      (error: unknown) => error as { code: number; stdout: string; stderr: string },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n').slice(0, 2)).toEqual([
      `::error file=${WRONG_FILE},line=17,endLine=17,col=29,endColumn=32,title=scenario::a second request in the same second "passes" <wrongly>, step 1 (request 2): status 429, expected 200`,
      `::error file=${WRONG_FILE},line=17,endLine=17,col=58,endColumn=62,title=scenario::a second request in the same second "passes" <wrongly>, step 1 (request 2): header Retry-After: "1", expected absent`,
    ]);
    expect(run.stdout).toMatch(/::notice title=tollgate test::2 scenarios: 1 passed, 1 failed\n$/);
  });

  it('says which scenario passed and which failed, with positions (stylish)', async () => {
    const result = await runCli(['test', WRONG], repo);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('  ✓ tiny-scenarios › one request a second passes\n');
    expect(result.stdout).toContain('  ✖ tiny-scenarios › a second request in the same second "passes" <wrongly>\n      17:29  ');
  });

  it('writes JUnit XML with escaped names and a failure per broken expectation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-test-'));
    const result = await runCli(['test', WRONG, '-f', 'junit', '-o', join(dir, 'junit.xml'), '-f', 'stylish'], repo);
    expect(result.code).toBe(1);
    const xml = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(xml).toContain('<testsuites name="tollgate test" tests="2" failures="1" errors="0">');
    expect(xml).toContain('name="a second request in the same second &quot;passes&quot; &lt;wrongly&gt;"');
    expect(xml.match(/<failure /g)).toHaveLength(2);
    expect(xml).toContain(`>${WRONG_FILE}:17:29 a second request`);
  });

  it('reports a scenario file that breaks the schema, and a policy that does not exist, where they are', async () => {
    const dir = await projectWithScenarios({
      'bad.scenarios.yaml':
        'apiVersion: tollgate.dev/v1\nkind: Scenarios\nmetadata: { name: bad }\nspec:\n  policy: tiny\n  clock: 2026-03-10T12:00:00Z\n  scenarios:\n    - name: typo\n      steps:\n        - request: { method: GET, path: /ping }\n          expect: { stauts: 200 }\n',
      'other.scenarios.yaml':
        'apiVersion: tollgate.dev/v1\nkind: Scenarios\nmetadata: { name: other }\nspec:\n  policy: tinny\n  clock: 2026-03-10T12:00:00Z\n  scenarios:\n    - name: nothing\n      steps:\n        - request: { method: GET, path: /ping }\n',
    });
    const result = await runCli(['test', 'p', '-f', 'github'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('p/bad.scenarios.yaml:11:21 error unknown-key');
    expect(result.stdout).toContain('p/other.scenarios.yaml:5:11 error scenario "no Policy named \\"tinny\\" in the files tested (tiny)"');
    const lint = await runCli(['lint', 'p', '-f', 'text'], dir);
    expect(lint.stdout).toContain('p/bad.scenarios.yaml:11:21 error unknown-key');
  });

  it('reports a step that gives the upstream status twice, at upstream.status', async () => {
    const dir = await projectWithScenarios({
      'twice.scenarios.yaml':
        'apiVersion: tollgate.dev/v1\nkind: Scenarios\nmetadata: { name: twice }\nspec:\n  policy: tiny\n  clock: 2026-03-10T12:00:00Z\n  scenarios:\n    - name: twice\n      steps:\n        - request: { method: GET, path: /ping }\n          upstreamStatus: 200\n          upstream: { status: 503, body: "{}" }\n',
    });
    const result = await runCli(['test', 'p', '-f', 'github'], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('file=p/twice.scenarios.yaml,line=12,endLine=12,col=31,endColumn=34');
    expect(result.stdout).toContain('a step gives the upstream status once: upstreamStatus or upstream.status');
  });

  it.each([
    [['test', 'policies', '-f', 'sarif'], 'tollgate test: unknown format "sarif"; choose one of stylish, junit, github\n'],
    [['test', 'test/fixtures/lint-warn'], 'tollgate test: no scenarios (documents of kind Scenarios) in test/fixtures/lint-warn\n'],
    [['test', 'no/such/dir'], 'tollgate test: no such file or directory: no/such/dir\n'],
  ])('%j is a usage error: one line, exit 2, no stack trace', async (args, stderr) => {
    const result = await runCli(args, repo);
    expect(result).toEqual({ code: 2, stdout: '', stderr });
  });
});

/** A temporary project: directory p/ with the tiny policy of WRONG and the given scenario files. */
async function projectWithScenarios(files: Readonly<Record<string, string>>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-test-'));
  await mkdir(join(dir, 'p'));
  await writeFile(join(dir, 'p/policy.yaml'), await readFile(join(repo, WRONG, 'policy.yaml')));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, 'p', name), text);
  return dir;
}
