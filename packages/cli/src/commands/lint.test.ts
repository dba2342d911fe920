import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { runCli } from '../test-support/run-cli.js';

const repo = new URL('../../../../', import.meta.url).pathname;

describe('tollgate lint', () => {
  it('passes the example policies (exit 0)', async () => {
    const result = await runCli(['lint', 'policies'], repo);
    expect(result).toEqual({ code: 0, stdout: 'No problems found.\n', stderr: '' });
  });

  it('reports findings of every kind with positions, sorted, and exits 1', async () => {
    const result = await runCli(['lint', 'test/fixtures/lint-bad', '-f', 'text'], repo);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      [
        'test/fixtures/lint-bad/broken.yaml:4:1 error yaml-syntax "Flow map in block collection must be sufficiently indented and end with a }"',
        'test/fixtures/lint-bad/consumers.yaml:7:13 error unknown-reference "no policy or catalogue defines plan \\"basik\\"; did you mean \\"basic\\"?"',
        'test/fixtures/lint-bad/consumers.yaml:9:19 error no-inline-secret "an API key of consumer \\"ann\\" is written inline; reference it from the environment instead ({ env: NAME })"',
        'test/fixtures/lint-bad/policy.yaml:8:36 error identity-spoofable "limitBy consumer needs an authentication method (identity.auth: key-auth)"',
        'test/fixtures/lint-bad/policy.yaml:10:46 error rate-limit-order "plan \\"basic\\" allows 60 per hour, fewer than its 100 per minute"',
        'test/fixtures/lint-bad/policy.yaml:10:52 warn payment-path-missing "plan \\"basic\\" running out of quota answers 402 with no way to pay: set payment.upgradeUrl or payment.topUpUrl, or an x402 offer"',
        'test/fixtures/lint-bad/policy.yaml:10:71 info quota-below-rate-window "plan \\"basic\\" allows 100 requests in one minute but only 10 per month"',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['error', 0],
    ['warn', 1],
    ['info', 1],
  ])('--fail-severity %s on a project with only a warning exits %i', async (severity, code) => {
    const result = await runCli(['lint', 'test/fixtures/lint-warn', '-F', severity, '-f', 'text'], repo);
    expect(result.stdout).toContain('warn payment-path-missing');
    expect(result.code).toBe(code);
  });

  it('writes each format to its own output file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-lint-'));
    const result = await runCli(['lint', 'test/fixtures/lint-bad', '-f', 'sarif', '-o', join(dir, 'out.sarif'), '-f', 'json', '-o', join(dir, 'out.json')], repo);
    expect(result.stdout).toBe('');
    const sarif = JSON.parse(await readFile(join(dir, 'out.sarif'), 'utf8')) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    expect(sarif.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('test/fixtures/lint-bad/broken.yaml');
    expect(JSON.parse(await readFile(join(dir, 'out.json'), 'utf8'))).toHaveLength(7);
  });

  it.each([
    [['lint', 'no/such/dir'], 'tollgate lint: no such file or directory: no/such/dir\n'],
    [['lint', '--format', 'xml'], 'tollgate lint: unknown format "xml"; choose one of stylish, text, json, sarif, github\n'],
    [['lint', '-F', 'fatal'], 'tollgate lint: --fail-severity must be one of error, warn, info, hint, not "fatal"\n'],
    [['lint', '-o', 'a.json', '-o', 'b.json'], 'tollgate lint: each --output needs its own --format\n'],
    [['frobnicate'], expect.stringContaining('tollgate: unknown command "frobnicate"')],
  ])('usage error %j exits 2 with one clear line', async (args, stderr) => {
    expect(await runCli(args, repo)).toEqual({ code: 2, stdout: '', stderr });
  });

  it('the installed binary prints no stack trace for bad input', async () => {
    const bin = join(repo, 'packages/cli/bin/tollgate.js');
    const run = await promisify(execFile)(process.execPath, [bin, 'lint', '--bogus'], { cwd: repo }).catch((error: unknown) => error as { code: number; stderr: string });
    expect(run).toMatchObject({ code: 2 });
    expect((run as { stderr: string }).stderr).not.toMatch(/\n\s+at /);
  });

  it('main() answers --version and help', async () => {
    expect((await runCli(['--version'], repo)).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await runCli(['--help'], repo)).stdout).toContain('lint');
    expect(typeof main).toBe('function');
  });
});
