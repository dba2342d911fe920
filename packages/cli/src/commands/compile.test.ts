import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { CliError } from '../io.js';
import { runCommand as run } from '../test-support/run-cli.js';
import { compile } from './compile.js';


const POLICY = `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: demo }
spec:
  service: { name: demo, url: "http://demo.internal" }
  routes: [{ name: all, paths: [/] }]
  identity: { auth: none, limitBy: ip }
  plans: { everyone: { rateLimit: { minute: 5 } } }
  defaultPlan: everyone
`;

describe('tollgate compile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-compile-'));
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('writes kong.yaml into --out and explains on request', async () => {
    const result = await run(compile, ['policy.yaml', '--target', 'kong', '--out', 'out', '--explain'], dir);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('wrote out/kong.yaml');
    expect(result.stdout).toContain('rate-limiting 5/minute for every caller');
    const doc = parse(readFileSync(join(dir, 'out/kong.yaml'), 'utf8'), { version: '1.1' }) as { plugins: { name: string }[] };
    expect(doc.plugins.map((p) => p.name)).toEqual(['rate-limiting']);
  });

  test('prints the configuration on stdout without --out, and the explanation on stderr', async () => {
    const result = await run(compile, ['policy.yaml', '-t', 'apisix', '--explain'], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/#END\n$/);
    expect(result.stderr).toContain('limit-count 5 per 60 s by remote_addr');
  });

  test('policy problems are shown with positions and nothing is written', async () => {
    writeFileSync(join(dir, 'policy.yaml'), POLICY.replace('service: { name: demo, url: "http://demo.internal" }', 'service: { name: demo }'));
    const result = await run(compile, ['policy.yaml', '--target', 'kong', '--out', 'out'], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/policy\.yaml\n\s+5:\d+\s+error\s+compile-needs-service-url/);
    expect(() => readFileSync(join(dir, 'out/kong.yaml'))).toThrow();
  });

  test.each([
    [['policy.yaml'], /--target is required/],
    [['policy.yaml', '--target', 'envoy'], /--target must be one of kong, apisix/],
    [['policy.yaml', '--target', 'apisix', '--mode', 'overlay'], /--mode overlay is for Kong/],
    [['missing.yaml', '--target', 'kong'], /no such file or directory: missing.yaml/],
  ])('usage error %j', async (args, message) => {
    await expect(run(compile, args, dir)).rejects.toThrow(CliError);
    await expect(run(compile, args, dir)).rejects.toThrow(message);
  });
});
