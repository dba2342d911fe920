import { parseArgs } from 'node:util';
import { KONG_LUA_PLUGIN, TOLLGATE_CHARGE_ON_SUCCESS_PLUGIN, TOLLGATE_PLUGIN, TOLLGATE_X402_PLUGIN } from '@tollgate/compiler';
import { OPERATIONS_ENV } from '@tollgate/engine';
import { installPath, POLICY_PATHS_DEFAULT, policyEnvNames } from '../gateway-conf.js';
import { CliError, type Command } from '../io.js';

export const KONG_CONF_USAGE = `Usage: tollgate kong-conf [paths…] [options]

Prints the kong.conf lines that install the Tollgate plugins: one kong-js-pluginserver per plugin
(Kong 3.9+ registers only the first plugin a plugin server reports), absolute paths, sockets, and
nginx_main_env for every variable the policies in paths (default: policies) reference.

Options:
      --node <path>         node on the Kong host (default /usr/local/bin/node)
      --kong-pdk <dir>      the npm prefix kong-pdk is installed in (default /opt/kong-pdk)
      --plugin-dir <dir>    holds one directory per plugin (packages/kong-plugin/dist/kong/*) and
                            without-typescript.cjs (default /usr/local/kong/js-plugins)
      --socket-dir <dir>    where the plugin servers listen (default /usr/local/kong, Kong's prefix)
      --metrics-port <n>    serve /metrics on n, n+1, n+2 (one port per plugin server)
      --lua-dir <dir>       also install tollgate-lua from packages/lua-adapters copied there

Exit codes: 0 printed, 1 problems in the policies, 2 usage or tool error.`;

const JS_PLUGINS = [TOLLGATE_PLUGIN, TOLLGATE_CHARGE_ON_SUCCESS_PLUGIN, TOLLGATE_X402_PLUGIN];
/** Operations variables every plugin server may share; the metrics port is per server (--metrics-port). */
const SHARED_OPERATIONS_ENV = [
  OPERATIONS_ENV.metricsHost,
  OPERATIONS_ENV.verifyTimeout,
  OPERATIONS_ENV.settleTimeout,
  OPERATIONS_ENV.facilitatorHeaders,
  OPERATIONS_ENV.cdpKeyId,
  OPERATIONS_ENV.cdpKeySecret,
  OPERATIONS_ENV.cdpFacilitatorUrl,
];

export interface KongInstall {
  readonly node: string;
  readonly kongPdk: string;
  readonly pluginDir: string;
  readonly socketDir: string;
  readonly metricsPort?: number;
  readonly luaDir?: string;
}

/** The kong.conf lines (Kong's key = value grammar, settings named from each pluginserver_names entry). */
export function kongConfLines(install: KongInstall, envNames: readonly string[]): string[] {
  const pluginServer = `${install.node} --require ${install.pluginDir}/without-typescript.cjs ${install.kongPdk}/node_modules/kong-pdk/bin/kong-js-pluginserver`;
  const plugins = install.luaDir === undefined ? JS_PLUGINS : [...JS_PLUGINS, KONG_LUA_PLUGIN];
  const lines = [`plugins = bundled,${plugins.join(',')}`, `pluginserver_names = ${JS_PLUGINS.join(',')}`];
  JS_PLUGINS.forEach((name, index) => {
    const setting = `pluginserver_${name.replace(/-/g, '_')}`;
    const metrics = install.metricsPort === undefined ? '' : `/usr/bin/env ${OPERATIONS_ENV.metricsPort}=${String(install.metricsPort + index)} `;
    const directory = `--plugins-directory ${install.pluginDir}/${name}`;
    lines.push(
      `${setting}_socket = ${install.socketDir}/${name}.sock`,
      `${setting}_start_cmd = ${metrics}${pluginServer} ${directory} --kong-prefix ${install.socketDir} --sock-name ${name}.sock`,
      `${setting}_query_cmd = ${pluginServer} ${directory} --dump-all-plugins`,
    );
  });
  if (install.luaDir !== undefined) lines.push(`lua_package_path = ${install.luaDir}/?.lua;${install.luaDir}/?/init.lua;;`);
  // nginx clears its workers' environment, and Kong starts the plugin servers from a worker.
  const env = [...new Set([...envNames, ...SHARED_OPERATIONS_ENV])];
  lines.push(`nginx_main_env = ${env.join('; env ')}`);
  return lines;
}

export const kongConf: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      node: { type: 'string', default: '/usr/local/bin/node' },
      'kong-pdk': { type: 'string', default: '/opt/kong-pdk' },
      'plugin-dir': { type: 'string', default: '/usr/local/kong/js-plugins' },
      'socket-dir': { type: 'string', default: '/usr/local/kong' },
      'metrics-port': { type: 'string' },
      'lua-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${KONG_CONF_USAGE}\n`);
    return 0;
  }
  const install: KongInstall = {
    node: installPath('node', values.node),
    kongPdk: installPath('kong-pdk', values['kong-pdk']),
    pluginDir: installPath('plugin-dir', values['plugin-dir']),
    socketDir: installPath('socket-dir', values['socket-dir']),
    ...(values['metrics-port'] === undefined ? {} : { metricsPort: metricsPort(values['metrics-port']) }),
    ...(values['lua-dir'] === undefined ? {} : { luaDir: installPath('lua-dir', values['lua-dir']) }),
  };
  const envNames = await policyEnvNames(positionals.length > 0 ? positionals : POLICY_PATHS_DEFAULT, io);
  if (envNames === null) return 1;
  // Consumer keys are not listed: decK fills them in at sync time, from its own environment.
  io.stdout.write(`${kongConfLines(install, envNames.runtime).join('\n')}\n`);
  return 0;
};

function metricsPort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65533) throw new CliError(`--metrics-port must be a port from 1 to 65533 (three consecutive ports are used), not "${value}"`);
  return port;
}
