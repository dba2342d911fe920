// `tollgate kong-conf` and `tollgate apisix-conf`: golden output for the example policies, and the
// printed lines read the way the gateways read them, against a real install layout in a temp dir
// (the bundled plugins, kong-pdk, the preload, the runner, the Lua adapters): Kong 3.9.1's
// kong/conf_loader (penlight key = value lines, trailing # comments stripped, array settings split
// on commas, each pluginserver_names entry lower-cased with - turned into _ to name its settings)
// and process.lua (query_cmd through io.popen, start_cmd as "exec …" through /bin/sh, both from a
// worker whose environment nginx cleared); APISIX 3.18.0's conf/config.yaml (ext-plugin.cmd argv,
// apisix.extra_lua_path, plugins, nginx_config.envs).
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../packages/cli/src/test-support/run-cli.js';
import { bundlePlugin, PLUGINS } from '../packages/kong-plugin/scripts/bundle.mjs';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('..', import.meta.url));
const KONG_PDK = dirname(createRequire(join(REPO, 'packages/kong-plugin/package.json')).resolve('kong-pdk/package.json'));
const RUNNER = join(REPO, 'packages/apisix-runner/dist/tollgate-runner.js');
/** Kong runs the commands with an almost empty environment (nginx clears its workers'). */
const WORKER_ENV = { PATH: '/nonexistent' };

/** kong.conf as Kong's conf loader reads it: `key = value` lines, `#` comments, last one wins. */
function readKongConf(text: string): Map<string, string> {
  const conf = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    const match = /^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) throw new Error(`not a key = value line: ${line}`);
    conf.set(match[1]!.toLowerCase(), match[2]!.replace(/\s*(?<!\\)#.*$/, '').replace(/\\#/g, '#'));
  }
  return conf;
}
const kongArray = (value: string | undefined) => (value ?? '').split(',').map((item) => item.trim());

interface PluginServerDef {
  readonly name: string;
  readonly socket: string;
  readonly startCommand: string;
  readonly queryCommand: string;
}

/** conf_loader's pluginserver_names loop, without its /usr/local/bin defaults (we set every command). */
function pluginServers(conf: Map<string, string>): PluginServerDef[] {
  return kongArray(conf.get('pluginserver_names')).map((entry) => {
    const name = entry.toLowerCase();
    const prefix = `pluginserver_${name.replace(/-/g, '_')}`;
    const get = (key: string) => {
      const value = conf.get(`${prefix}_${key}`);
      if (value === undefined) throw new Error(`${prefix}_${key} is not set`);
      return value;
    };
    return { name, socket: get('socket'), startCommand: get('start_cmd'), queryCommand: get('query_cmd') };
  });
}

async function accepts(socketPath: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(socketPath);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (ok) return true;
    await sleep(50);
  }
  return false;
}

describe('golden output for the example policies', () => {
  it('kong-conf with every path given', async () => {
    const ran = await runCli(['kong-conf', 'policies', '--node', '/usr/bin/node', '--kong-pdk', '/opt/kong-pdk', '--plugin-dir', '/etc/kong/js-plugins', '--socket-dir', '/run/kong', '--metrics-port', '9464', '--lua-dir', '/opt/tollgate/lua'], REPO);
    expect(ran).toMatchObject({ code: 0, stderr: '' });
    await expect(ran.stdout).toMatchFileSnapshot('golden/gateway-conf/kong.conf');
  });

  it('kong-conf with the defaults docs/kong.md uses', async () => {
    const ran = await runCli(['kong-conf', 'policies'], REPO);
    expect(ran.code).toBe(0);
    await expect(ran.stdout).toMatchFileSnapshot('golden/gateway-conf/kong-defaults.conf');
  });

  it('apisix-conf with the Lua adapters', async () => {
    const ran = await runCli(['apisix-conf', 'policies', '--node', '/usr/bin/node', '--runner', '/opt/tollgate/tollgate-runner.js', '--lua-dir', '/opt/tollgate/lua'], REPO);
    expect(ran).toMatchObject({ code: 0, stderr: '' });
    await expect(ran.stdout).toMatchFileSnapshot('golden/gateway-conf/apisix-config.yaml');
  });
});

describe('bad input', () => {
  it.each([
    [['kong-conf', 'policies', '--node', 'node'], /--node must be an absolute path/],
    [['kong-conf', 'policies', '--plugin-dir', '/opt/my plugins'], /--plugin-dir "\/opt\/my plugins": whitespace/],
    [['kong-conf', 'policies', '--socket-dir', '/run/kong#1'], /#/],
    [['kong-conf', 'policies', '--metrics-port', '70000'], /--metrics-port must be a port/],
    [['apisix-conf', 'policies', '--runner', 'tollgate-runner.js'], /--runner must be an absolute path/],
    [['kong-conf', 'no-such-dir'], /no such file or directory: no-such-dir/],
  ])('%j', async (args, message) => {
    const ran = await runCli(args, REPO);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(message);
    expect(ran.stdout).toBe('');
  });

  it('policies with errors are reported with their position, nothing printed', async () => {
    const ran = await runCli(['kong-conf', 'test/fixtures/lint-bad'], REPO);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/broken\.yaml\n\s*4:1\s+error\s+yaml-syntax/);
    expect(ran.stdout).toBe('');
  });
});

describe('against a real install layout', () => {
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tollgate-install-'));
    // npm install --prefix <root>/kong-pdk kong-pdk: the package under node_modules.
    mkdirSync(join(root, 'kong-pdk/node_modules'), { recursive: true });
    symlinkSync(realpathSync(KONG_PDK), join(root, 'kong-pdk/node_modules/kong-pdk'));
    for (const name of PLUGINS) await bundlePlugin(join(root, 'js-plugins'), name);
    mkdirSync(join(root, 'prefix'));
    cpSync(join(REPO, 'packages/lua-adapters'), join(root, 'lua'), { recursive: true });
    cpSync(RUNNER, join(root, 'tollgate/tollgate-runner.js'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("kong.conf: every plugin has its plugin server, whose query and start commands work from Kong's worker", async () => {
    const ran = await runCli(['kong-conf', 'policies', '--node', process.execPath, '--kong-pdk', join(root, 'kong-pdk'), '--plugin-dir', join(root, 'js-plugins'), '--socket-dir', join(root, 'prefix'), '--lua-dir', join(root, 'lua')], REPO);
    expect(ran.code).toBe(0);
    const conf = readKongConf(ran.stdout);
    const servers = pluginServers(conf);
    expect(servers.map((s) => s.name)).toEqual([...PLUGINS].sort());
    expect(kongArray(conf.get('plugins'))).toEqual(['bundled', ...servers.map((s) => s.name), 'tollgate-lua']);
    // kong.plugins.tollgate-lua.handler through lua_package_path.
    const luaPath = kongArray(conf.get('lua_package_path')?.replace(/;/g, ','))[0]!;
    expect(existsSync(luaPath.replace('?', 'kong/plugins/tollgate-lua/handler'))).toBe(true);
    // nginx_main_env = A; env B → env A; env B; in nginx.conf: the policies' runtime references.
    expect(`env ${conf.get('nginx_main_env') ?? ''};`).toContain('env TOLLGATE_REDIS_URL;');
    expect(conf.get('nginx_main_env')).not.toContain('DECK_');

    for (const server of servers) {
      const { stdout } = await run('/bin/sh', ['-c', server.queryCommand], { env: WORKER_ENV, encoding: 'utf8' });
      const info = (JSON.parse(stdout) as { Name: string }[])[0];
      expect(info?.Name).toBe(server.name);

      const child = spawn('/bin/sh', ['-c', `exec ${server.startCommand}`], { env: WORKER_ENV, stdio: 'ignore' });
      try {
        expect(await accepts(server.socket, 15_000)).toBe(true);
      } finally {
        child.kill('SIGTERM');
      }
    }
  });

  it('config.yaml: YAML naming a runner command that exists and the Lua adapter on extra_lua_path', async () => {
    const ran = await runCli(['apisix-conf', 'policies', '--node', process.execPath, '--runner', join(root, 'tollgate/tollgate-runner.js'), '--lua-dir', join(root, 'lua')], REPO);
    expect(ran.code).toBe(0);
    const config = parse(ran.stdout) as { apisix: { extra_lua_path: string }; 'ext-plugin': { cmd: string[] }; nginx_config: { envs: string[] }; plugins: string[] };
    const [node, runner, ...rest] = config['ext-plugin'].cmd;
    expect(rest).toEqual([]);
    accessSync(node!, constants.X_OK);
    accessSync(runner!, constants.R_OK);
    for (const module of ['apisix/plugins/tollgate', 'tollgate/sidecar_client']) expect(existsSync(config.apisix.extra_lua_path.replace('?', module))).toBe(true);
    expect(config.plugins).toEqual(expect.arrayContaining(['key-auth', 'ext-plugin-post-req', 'ext-plugin-post-resp', 'tollgate']));
    // APISIX resolves $env:// consumer keys in its workers; the runner reads the store URL.
    expect(config.nginx_config.envs).toEqual(expect.arrayContaining(['TOLLGATE_REDIS_URL', 'DECK_HOBBYIST_KEY', 'TOLLGATE_LOG_LEVEL']));
  });
});
