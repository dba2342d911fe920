import { parseArgs } from 'node:util';
import { APISIX_LUA_PLUGIN } from '@tollgate/compiler';
import { OPERATIONS_ENV } from '@tollgate/engine';
import { installPath, POLICY_PATHS_DEFAULT, policyEnvNames } from '../gateway-conf.js';
import type { Command } from '../io.js';

export const APISIX_CONF_USAGE = `Usage: tollgate apisix-conf [paths…] [options]

Prints the conf/config.yaml keys that install Tollgate into APISIX: ext-plugin.cmd starting the
runner with absolute paths, nginx_config.envs for every variable the policies in paths (default:
policies) reference and the runner reads, and with --lua-dir the native plugin's extra_lua_path
and plugins list. Merge them into your config.yaml.

Options:
      --node <path>         node on the APISIX host (default /usr/local/bin/node)
      --runner <path>       tollgate-runner.js (default /usr/local/tollgate/tollgate-runner.js)
      --lua-dir <dir>       also install the native tollgate plugin from packages/lua-adapters
                            copied there (run the sidecar yourself, see docs/apisix.md)

Exit codes: 0 printed, 1 problems in the policies, 2 usage or tool error.`;

/** What the runner reads besides the operations variables (packages/apisix-runner/src/main.ts). */
const RUNNER_ENV = ['TOLLGATE_LOG_LEVEL', 'TOLLGATE_MAX_FRAME_BYTES', ...Object.values(OPERATIONS_ENV)];
/** The plugins compiled APISIX routes carry; a plugins list in config.yaml replaces APISIX's default one. */
const COMPILED_ROUTE_PLUGINS = ['key-auth', 'ext-plugin-post-req', 'ext-plugin-post-resp'];

export interface ApisixInstall {
  readonly node: string;
  readonly runner: string;
  readonly luaDir?: string;
}

/** YAML text; every string is JSON-quoted, which YAML reads as a double-quoted scalar. */
export function apisixConfYaml(install: ApisixInstall, envNames: readonly string[]): string {
  const quote = (value: string) => JSON.stringify(value);
  const list = (items: readonly string[]) => items.map((item) => `    - ${quote(item)}`).join('\n');
  const parts: string[] = [];
  if (install.luaDir !== undefined) parts.push(`apisix:\n  extra_lua_path: ${quote(`${install.luaDir}/?.lua`)}`);
  parts.push(`ext-plugin:\n  cmd: [${[install.node, install.runner].map(quote).join(', ')}]`);
  // nginx hides the environment from its workers and from the runner it starts.
  parts.push(`nginx_config:\n  envs:\n${list([...new Set([...envNames, ...RUNNER_ENV])])}`);
  if (install.luaDir !== undefined) {
    const plugins = [...COMPILED_ROUTE_PLUGINS, APISIX_LUA_PLUGIN];
    parts.push(`# This list replaces APISIX's default one: keep every plugin your routes use (conf/config.yaml.example lists the defaults).\nplugins:\n${list(plugins).replace(/^ {2}/gm, '')}`);
  }
  return `${parts.join('\n')}\n`;
}

export const apisixConf: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      node: { type: 'string', default: '/usr/local/bin/node' },
      runner: { type: 'string', default: '/usr/local/tollgate/tollgate-runner.js' },
      'lua-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${APISIX_CONF_USAGE}\n`);
    return 0;
  }
  const install: ApisixInstall = {
    node: installPath('node', values.node),
    runner: installPath('runner', values.runner),
    ...(values['lua-dir'] === undefined ? {} : { luaDir: installPath('lua-dir', values['lua-dir']) }),
  };
  const envNames = await policyEnvNames(positionals.length > 0 ? positionals : POLICY_PATHS_DEFAULT, io);
  if (envNames === null) return 1;
  // APISIX resolves consumer keys ($env://) in its workers: they need envs too.
  io.stdout.write(apisixConfYaml(install, [...envNames.runtime, ...envNames.credentials]));
  return 0;
};
