import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CliError } from '../io.js';
import { diff } from './diff.js';
import { runCommand } from '../test-support/run-cli.js';

const run = (args: readonly string[], cwd: string) => runCommand(diff, args, cwd);


const policy = (minute: number): string => `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: demo }
spec:
  service: { name: demo, url: "http://demo.internal" }
  routes: [{ name: all, paths: [/] }]
  identity: { auth: none, limitBy: ip }
  plans: { everyone: { rateLimit: { minute: ${minute} } } }
  defaultPlan: everyone
`;

describe('tollgate diff', () => {
  let dir: string;
  const write = (path: string, text: string): void => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-diff-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('compares two folders as Markdown', async () => {
    write('base/p.yaml', policy(5));
    write('head/p.yaml', policy(50));
    const result = await run(['base', 'head', '--target', 'kong', '--format', 'markdown'], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('| demo | everyone | 5/minute | 50/minute |');
    expect(result.stdout).toContain('- changed `rate-limiting @ service demo`');
  });

  test('compares two git refs', async () => {
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir });
    git('init', '-q');
    write('policies/p.yaml', policy(5));
    git('add', '.');
    git('commit', '-qm', 'one');
    write('policies/p.yaml', policy(7));
    git('commit', '-qam', 'two');
    const result = await run(['HEAD~1', 'HEAD', '--target', 'apisix'], dir);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('demo/everyone: 5/minute -> 7/minute');
  });

  test('a side with policy errors exits 1 with positions', async () => {
    write('base/p.yaml', policy(5));
    write('head/p.yaml', policy(5).replace('limitBy: ip', 'limitBy: nobody'));
    const result = await run(['base', 'head', '--target', 'kong'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/head\/p\.yaml\n\s+7:\d+\s+error/);
  });

  test('usage errors', async () => {
    await expect(run(['only-one', '--target', 'kong'], dir)).rejects.toThrow(CliError);
    await expect(run(['nope', 'HEAD', '--target', 'kong'], dir)).rejects.toThrow(/neither a folder nor a git ref/);
  });
});
