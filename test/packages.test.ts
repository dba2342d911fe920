// The packages as users install them: every publishable package packed as the release workflow
// packs it (scripts/pack.mjs: pnpm pack), the tarballs installed with npm into an empty folder
// outside the workspace, and the installed programs run there with plain node: `tollgate lint` and
// `tollgate compile` on the example policies, kong-js-pluginserver --dump-all-plugins on each
// installed Kong plugin, and the runner and the sidecar answering on a unix socket. Needs
// `pnpm run build` first (the tarballs hold dist/) and npm's registry or cache for the third-party
// dependencies.
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameType } from '../packages/sidecar/src/index.js';
import { packArtifacts } from '../scripts/pack.mjs';
import { ApisixSide } from './support/apisix-side/index.js';
import { tollgateRoute, weatherConfig } from './support/apisix-configs.js';
import { UNKNOWN_TOKEN_PROBE as RUNNER_PROBE } from './support/apisix-runner.js';
import { startNodeProcess, waitUntilAnswering } from './support/node-process.js';
import { SidecarClient, UNKNOWN_TOKEN_PROBE as SIDECAR_PROBE } from './support/sidecar.js';

const run = promisify(execFile);
const repo = new URL('../', import.meta.url).pathname;
const PACKAGES = ['apisix-runner', 'cli', 'compiler', 'engine', 'kong-plugin', 'lua-adapters', 'metering', 'policy', 'server', 'sidecar'];
/** What only tests use: the moved harnesses, test files and helpers, tsc's incremental state. */
const TEST_ONLY = /(^|\/)(harness|apisix-side|test-support|__tests__)\/|\.test\.[cm]?[jt]s$|apisix-codec|\.tsbuildinfo$/;

let work: string;
let tarballs: string[];
let installed: string;

beforeAll(async () => {
  for (const built of ['cli/dist/bin.js', 'kong-plugin/dist/kong', 'apisix-runner/dist/tollgate-runner.js', 'sidecar/dist/tollgate-sidecar.js']) {
    if (!existsSync(join(repo, 'packages', built))) throw new Error(`packages/${built} is missing: run pnpm run build first`);
  }
  work = mkdtempSync(join(tmpdir(), 'tollgate-packages-'));
  chmodSync(work, 0o755);
  tarballs = packArtifacts(join(work, 'tarballs'));
  installed = join(work, 'installed');
  cpSync(join(repo, 'policies'), join(installed, 'policies'), { recursive: true });
  // Only node and npm: no workspace, no pnpm; npm resolves @tollgate/* among the tarballs.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: installed, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work } });
}, 600_000);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const listing = (tarball: string) => run('tar', ['-tzf', tarball]).then(({ stdout }) => stdout.trim().split('\n'));
const manifest = (tarball: string) => run('tar', ['-xzOf', tarball, 'package/package.json']).then(({ stdout }) => stdout);
const bin = (name: string) => join(installed, 'node_modules/.bin', name);

describe('the packed packages', () => {
  it('are one tarball per publishable package, all at one 0.x version', () => {
    expect(tarballs.map((t) => basename(t))).toEqual(PACKAGES.map((name) => `tollgate-${name}-0.1.0.tgz`));
  });

  it.each(PACKAGES)('@tollgate/%s: a manifest with no workspace: or catalog: range, a license and a README', async (name) => {
    const text = await manifest(join(work, 'tarballs', `tollgate-${name}-0.1.0.tgz`));
    expect(text).not.toMatch(/"(workspace|catalog):/);
    const parsed = JSON.parse(text) as { license?: string; private?: boolean; dependencies?: Record<string, string> };
    expect(parsed).toMatchObject({ license: 'Apache-2.0' });
    expect(parsed.private).toBeUndefined();
    for (const [dependency, range] of Object.entries(parsed.dependencies ?? {})) if (dependency.startsWith('@tollgate/')) expect(range).toBe('0.1.0');
    expect(await listing(join(work, 'tarballs', `tollgate-${name}-0.1.0.tgz`))).toContain('package/README.md');
  });

  it.each(PACKAGES)('@tollgate/%s ships no test harness, test file or build state', async (name) => {
    const files = await listing(join(work, 'tarballs', `tollgate-${name}-0.1.0.tgz`));
    expect(files.filter((file) => TEST_ONLY.test(file))).toEqual([]);
  });
});

// Each program starts a node process; on a loaded 2-core machine a CLI run can take seconds.
describe('installed with npm into an empty folder', { timeout: 120_000 }, () => {
  it('tollgate lint and compile the example policies', async () => {
    const lint = await run(bin('tollgate'), ['lint', 'policies'], { cwd: installed });
    expect(lint.stdout).toBe('No problems found.\n');
    await run(bin('tollgate'), ['compile', 'policies', '--target', 'kong', '--out', 'out/kong'], { cwd: installed });
    await run(bin('tollgate'), ['compile', 'policies', '--target', 'apisix', '--out', 'out/apisix'], { cwd: installed });
    expect(readFileSync(join(installed, 'out/kong/kong.yaml'), 'utf8')).toContain('name: tollgate');
    expect(readFileSync(join(installed, 'out/apisix/apisix.yaml'), 'utf8')).toContain('ext-plugin-post-req');
  });

  it.each(['tollgate', 'tollgate-charge-on-success', 'tollgate-x402'])('kong-js-pluginserver --dump-all-plugins reports the installed %s plugin', async (plugin) => {
    const kong = join(installed, 'node_modules/@tollgate/kong-plugin/dist/kong');
    const server = join(installed, 'node_modules/kong-pdk/bin/kong-js-pluginserver');
    const { stdout } = await run(process.execPath, ['--require', join(kong, 'without-typescript.cjs'), server, '--plugins-directory', join(kong, plugin), '--dump-all-plugins']);
    expect(JSON.parse(stdout)).toMatchObject([{ Name: plugin, Version: '0.1.0', Priority: expect.any(Number) }]);
  });

  it('tollgate-runner answers APISIX on a unix socket', async () => {
    const socketPath = join(work, 'runner.sock');
    const runner = startNodeProcess(bin('tollgate-runner'), { APISIX_LISTEN_ADDRESS: `unix:${socketPath}`, APISIX_CONF_EXPIRE_TIME: '3600' }, 1000);
    const apisix = new ApisixSide({ socketPath, readTimeoutMs: 5000 });
    try {
      await waitUntilAnswering('runner', runner, socketPath, RUNNER_PROBE);
      expect(await apisix.request(tollgateRoute('1', weatherConfig()), { method: 'GET', uri: '/v1/forecast' })).toMatchObject({ kind: 'stopped', status: 401 });
    } finally {
      apisix.close();
      expect(await runner.stop()).toBe(0);
    }
  });

  it('tollgate-sidecar registers a policy and decides on a unix socket', async () => {
    const socketPath = join(work, 'sidecar.sock');
    const sidecar = startNodeProcess(bin('tollgate-sidecar'), { TOLLGATE_SIDECAR_SOCKET: socketPath }, 2000);
    try {
      await waitUntilAnswering('sidecar', sidecar, socketPath, SIDECAR_PROBE);
      const client = await SidecarClient.connect(socketPath);
      const policy = JSON.stringify(weatherConfig({ identity: { auth: 'none', limitBy: 'ip' }, plans: [{ name: 'free', plan: { rateLimit: { minute: 1 } } }], consumerPlans: {} }));
      const registered = await client.call(FrameType.Register, { policy, gateway: 'kong' });
      expect(registered).toMatchObject({ type: FrameType.Registered, body: { token: expect.any(Number) } });
      const decide = { t: registered?.body.token, m: 'GET', p: '/v1/forecast', h: { host: 'api' }, ip: '10.0.0.1' };
      expect(await client.call(FrameType.Decide, decide)).toMatchObject({ type: FrameType.Continue });
      expect(await client.call(FrameType.Decide, decide)).toMatchObject({ type: FrameType.Exit, body: { s: 429 } });
      client.close();
    } finally {
      expect(await sidecar.stop()).toBe(0);
    }
  });
});
