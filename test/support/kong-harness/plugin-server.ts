// The kong-js-pluginserver process as Kong runs it: discovery through the query command
// (--dump-all-plugins, JSON, first element only since Kong 3.9), then the start command with an
// explicit prefix and socket name, respawned when it exits (at most once a second; exit status
// 127 stops it), its stdout and stderr collected as Kong logs them. Both run the way docs/kong.md
// tells users to: with the preload that keeps kong-pdk from loading ts-node and TypeScript.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

const KONG_PLUGIN_PACKAGE = fileURLToPath(new URL('../../../packages/kong-plugin/package.json', import.meta.url));

/** The kong-js-pluginserver executable of the kong-pdk the Kong plugin package depends on. */
export const PLUGIN_SERVER_BIN = join(dirname(createRequire(KONG_PLUGIN_PACKAGE).resolve('kong-pdk/package.json')), 'bin', 'kong-js-pluginserver');

/** The preload that starts kong-js-pluginserver without ts-node and the TypeScript compiler (shipped beside the plugins). */
export const WITHOUT_TYPESCRIPT_PRELOAD = join(dirname(KONG_PLUGIN_PACKAGE), 'pluginserver', 'without-typescript.cjs');

/** node's arguments before kong-js-pluginserver's own: the preload unless TypeScript plugins must load. */
function pluginServerCommand(withTypeScript = false): string[] {
  return withTypeScript ? [PLUGIN_SERVER_BIN] : ['--require', WITHOUT_TYPESCRIPT_PRELOAD, PLUGIN_SERVER_BIN];
}

export interface PluginInfo {
  readonly Name: string;
  readonly Version: string;
  readonly Priority: number;
  readonly Phases: readonly string[];
  readonly Schema: { readonly name: string; readonly fields: readonly unknown[] };
}

export class PluginDiscoveryError extends Error {
  override readonly name = 'PluginDiscoveryError';
}

/** Runs the query command and checks its output the way Kong's plugin loader does. */
export async function queryPluginInfo(pluginsDir: string, nodePath = process.execPath, withTypeScript = false): Promise<PluginInfo> {
  const { stdout } = await run(nodePath, [...pluginServerCommand(withTypeScript), '--plugins-directory', pluginsDir, '--dump-all-plugins'], { encoding: 'utf8' });
  let dump: unknown;
  try {
    dump = JSON.parse(stdout);
  } catch {
    throw new PluginDiscoveryError(`failed decoding plugin info: ${stdout.slice(0, 200)}`);
  }
  const list: unknown = Array.isArray(dump) ? dump : (dump as { Plugins?: unknown } | null)?.Plugins;
  const info = (Array.isArray(list) ? list[0] : undefined) as PluginInfo | undefined;
  if (!info) throw new PluginDiscoveryError('failed decoding plugin info: no plugin');
  if (!Number.isInteger(info.Priority)) throw new PluginDiscoveryError(`${info.Name}: PRIORITY must be an integer`);
  if (!/^\d+\.\d+\.\d+$/.test(info.Version)) throw new PluginDiscoveryError(`${info.Name}: VERSION must be x.y.z`);
  return info;
}

export interface PluginServerOptions {
  readonly pluginsDir: string;
  readonly name: string;
  /** Kong's prefix: the socket is <prefix>/<name>.sock. */
  readonly prefix: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly nodePath?: string;
  /** Start kong-pdk's plain command, which loads ts-node and TypeScript (default: the preload that skips them). */
  readonly withTypeScript?: boolean;
}

const RESPAWN_INTERVAL_MS = 1000;
const READY_TIMEOUT_MS = 15_000;

export class PluginServerProcess {
  readonly socketPath: string;
  /** Merged stdout/stderr lines, as Kong logs them at INFO. */
  readonly output: string[] = [];
  #child: ChildProcess | undefined;
  #spawnedAt = 0;
  #stopping = false;
  #spawns = 0;

  constructor(private readonly options: PluginServerOptions) {
    this.socketPath = join(options.prefix, `${options.name}.sock`);
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** How many times the process was started (1 + respawns). */
  get spawns(): number {
    return this.#spawns;
  }

  async start(): Promise<void> {
    this.#spawn();
    await this.ready();
  }

  /** Resolves once the socket accepts connections. */
  async ready(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await this.#accepting())) {
      if (Date.now() > deadline) throw new Error(`plugin server did not listen on ${this.socketPath}:\n${this.output.join('\n')}`);
      await sleep(20);
    }
  }

  /** Kills the process the way a crash would; Kong's respawn logic brings it back. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.#child?.kill(signal);
  }

  /** kill(), resolved once the process is gone (its socket refuses connections until the respawn listens). */
  async crash(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  #spawn(): void {
    const { pluginsDir, prefix, name, env, nodePath = process.execPath, withTypeScript } = this.options;
    const child = spawn(nodePath, [...pluginServerCommand(withTypeScript), '--plugins-directory', pluginsDir, '--kong-prefix', prefix, '--sock-name', `${name}.sock`], {
      env: { ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#spawnedAt = Date.now();
    this.#spawns += 1;
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') this.output.push(`[${name}:${String(child.pid)}] ${line}`);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code) => {
      if (this.#stopping || code === 127) return;
      const wait = Math.max(0, RESPAWN_INTERVAL_MS - (Date.now() - this.#spawnedAt));
      setTimeout(() => {
        if (!this.#stopping) this.#spawn();
      }, wait).unref();
    });
  }

  #accepting(): Promise<boolean> {
    if (!existsSync(this.socketPath)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const socket = connect(this.socketPath);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
  }
}
