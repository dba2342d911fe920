// Real redis-server processes for tests: a standalone server or a 3-master cluster on free
// loopback ports, stopped and restarted on demand. Suites skip with a visible reason when
// redis-server is not installed, except under CI where its absence is a failure.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { createRedisStore } from '../../packages/engine/src/store/redis/redis-store.js';
import type { Store } from '../../packages/engine/src/index.js';
import { skipOutsideCi } from './skip.js';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
export const REDIS_CLI = process.env.REDIS_CLI ?? 'redis-cli';

function installed(binary: string): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Why Redis tests cannot run here, or undefined when they can. Under CI a missing redis-server
 * throws instead: CI must not silently skip the Redis suites.
 */
export function redisSkipReason(): string | undefined {
  if (installed(REDIS_SERVER) && installed(REDIS_CLI)) return undefined;
  const reason = `${REDIS_SERVER} / ${REDIS_CLI} not found on PATH: Redis tests skipped (install redis-server)`;
  return skipOutsideCi(reason);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

async function waitForPort(port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = exited();
    if (gone !== undefined) throw new Error(gone);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One redis-server process on a fixed port; stop/start keep the port so clients can reconnect. */
export class RedisServer {
  #process: ChildProcess | undefined;
  #stderr = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly extraArgs: readonly string[],
  ) {}

  static async start(extraArgs: readonly string[] = []): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-'));
    const server = new RedisServer(await freePort(), dir, extraArgs);
    await server.resume();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process !== undefined;
  }

  /** Starts the process again after `stop` (same port, empty data unless persisted in its dir). */
  async resume(): Promise<void> {
    if (this.#process !== undefined) return;
    this.#stderr = '';
    const child = spawn(
      REDIS_SERVER,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...this.extraArgs],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    let exit: string | undefined;
    child.once('exit', (code, signal) => {
      exit = `redis-server on ${this.port} exited (${signal ?? String(code)}): ${this.#stderr.trim()}`;
      if (this.#process === child) this.#process = undefined;
    });
    this.#process = child;
    await waitForPort(this.port, 10_000, () => exit);
  }

  /** Stops the process (SIGKILL: an abrupt loss, as in an outage) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (child === undefined) return;
    this.#process = undefined;
    await new Promise<void>((resolve) => {
      child.once('exit', () => {
        resolve();
      });
      child.kill('SIGKILL');
    });
  }

  /** Freezes the process (SIGSTOP): connections stay open and nothing answers, as in a hung server. */
  pause(): void {
    this.#process?.kill('SIGSTOP');
  }

  /** Lets a paused process run again (SIGCONT). */
  unpause(): void {
    this.#process?.kill('SIGCONT');
  }

  async close(): Promise<void> {
    this.unpause();
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A local Redis Cluster of three masters (no replicas), created with `redis-cli --cluster create`. */
export class RedisCluster {
  private constructor(readonly nodes: readonly RedisServer[]) {}

  static async start(): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        nodes.push(await RedisServer.start(['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000', '--cluster-config-file', `nodes-${i}.conf`]));
      }
      const create = spawnSync(REDIS_CLI, ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      const cluster = new RedisCluster(nodes);
      await cluster.#waitUntilOk(20_000);
      return cluster;
    } catch (error) {
      await Promise.all(nodes.map((n) => n.close()));
      throw error;
    }
  }

  /** `host:port,host:port,…`: the format of a policy's `store.nodes`. */
  get nodeList(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  async #waitUntilOk(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = spawnSync(REDIS_CLI, ['-p', String(this.nodes[0]?.port), 'cluster', 'info'], { encoding: 'utf8', timeout: 5_000 });
      if (info.stdout.includes('cluster_state:ok')) return;
      if (Date.now() > deadline) throw new Error(`cluster did not reach cluster_state:ok: ${info.stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}

/** Empties every master of a standalone server or a cluster. */
export async function flushAll(client: Redis | Cluster): Promise<void> {
  const masters = client instanceof Cluster ? client.nodes('master') : [client];
  await Promise.all(masters.map((node) => node.flushall()));
}

/** Commands by name (lower case), as a server's MONITOR saw them. */
export type CommandCounts = Record<string, number>;

export interface MonitoredCommands {
  /** What clients sent (each one a round trip's worth of work for the server). */
  readonly sent: CommandCounts;
  /** What scripts ran inside those calls. */
  readonly scripted: CommandCounts;
}

/**
 * The commands the servers behind `servers` (a standalone server, or each master of a cluster)
 * received while `work` ran, as their MONITOR saw them; PING, which marks the end, left out.
 */
export async function monitorCommands(servers: readonly Redis[], work: () => Promise<void>): Promise<MonitoredCommands> {
  const sent: CommandCounts = {};
  const scripted: CommandCounts = {};
  const monitors = await Promise.all(servers.map((server) => server.monitor()));
  for (const monitor of monitors) {
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const counts = source === 'lua' ? scripted : sent;
      const name = args[0]?.toLowerCase() ?? '';
      counts[name] = (counts[name] ?? 0) + 1;
    });
  }
  try {
    await work();
    // A PING through each monitored server marks the end: every command before it was reported.
    await Promise.all(servers.map((server) => server.ping()));
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    for (const monitor of monitors) monitor.disconnect();
  }
  delete sent.ping;
  return { sent: { ...sent }, scripted: { ...scripted } };
}

/** Every key with its DUMP and absolute expiry: byte for byte what the server holds. */
export async function redisSnapshot(client: Redis): Promise<Record<string, [string, number]>> {
  const entries: Record<string, [string, number]> = {};
  for (const key of (await client.keys('*')).sort()) {
    entries[key] = [(await client.dumpBuffer(key)).toString('hex'), Number(await client.call('PEXPIRETIME', key))];
  }
  return entries;
}

/** A standalone server and one client on it for the calling `describe`: started in its `beforeAll`, stopped in its `afterAll`. */
export function useRedisServer(): { readonly server: RedisServer; readonly admin: Redis } {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await admin?.quit();
    await server?.close();
  });
  return {
    get server() { return requireStarted(server); },
    get admin() { return requireStarted(admin); },
  };
}

export interface RedisStoreUnderTest {
  readonly name: 'redis' | 'redis-cluster';
  /** A new store on emptied data (every earlier test's keys flushed). */
  create(): Promise<Store>;
  /** A client on the same data, to read keys the Store contract does not answer (the usage outbox); after `create`. */
  admin(): Redis | Cluster;
}

/**
 * Rows for a `describe.each` over stores: a `redis` store on a standalone server and a
 * `redis-cluster` store on a three-master cluster, both started in the calling file's `beforeAll`
 * and stopped in its `afterAll`. No rows (and the reason printed) when redis-server is missing.
 */
export function redisStoresUnderTest(): RedisStoreUnderTest[] {
  const skip = redisSkipReason();
  if (skip !== undefined) {
    console.warn(skip);
    return [];
  }
  let server: RedisServer | undefined;
  let cluster: RedisCluster | undefined;
  const admins: (Redis | Cluster)[] = [];
  beforeAll(async () => {
    [server, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start()]);
  });
  afterAll(async () => {
    await Promise.all(admins.map((a) => a.quit()));
    await Promise.all([server?.close(), cluster?.close()]);
  });
  const admin = (name: RedisStoreUnderTest['name']): Redis | Cluster => {
    const client = name === 'redis' ? new Redis(requireStarted(server).url) : new Cluster(requireStarted(cluster).nodeList.split(','));
    admins.push(client);
    return client;
  };
  const row = (name: RedisStoreUnderTest['name']): RedisStoreUnderTest => {
    let client: Redis | Cluster | undefined;
    return {
      name,
      async create() {
        client ??= admin(name);
        await flushAll(client);
        const store = createRedisStore(
          name === 'redis'
            ? { kind: 'redis', url: requireStarted(server).url, keyPrefix: 'tollgate', timeoutMs: 1000 }
            : { kind: 'redis-cluster', nodes: requireStarted(cluster).nodeList.split(','), keyPrefix: 'tollgate', timeoutMs: 1000 },
        );
        // Connected before the first decision, so connection setup never counts against a test's store timeout.
        await store.getAccount('warm-up');
        return store;
      },
      admin: () => requireStarted(client),
    };
  };
  return [row('redis'), row('redis-cluster')];
}

function requireStarted<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the Redis processes are started in beforeAll');
  return value;
}

const REPO = new URL('../../', import.meta.url);

// Module hooks that let a plain `node` child run the repository's TypeScript sources: `.js`
// specifiers fall back to the `.ts` file next to them (NodeNext style imports), and `.ts` files
// are transpiled one by one with the repository's TypeScript (sound: verbatimModuleSyntax).
const TS_HOOKS = `
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
const ts = createRequire(${JSON.stringify(new URL('package.json', REPO).href)})('typescript');
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.startsWith('.') || !specifier.endsWith('.js')) throw error;
    return next(specifier.slice(0, -3) + '.ts', context);
  }
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const source = await readFile(new URL(url), 'utf8');
  const options = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false };
  return { format: 'module', source: ts.transpileModule(source, { compilerOptions: options, fileName: url }).outputText, shortCircuit: true };
}
`;

/**
 * Forks `node` on a TypeScript entry of this repository (workspace packages resolve to their
 * sources, as under vitest), with an IPC channel for messages.
 */
export function forkTypeScript(entry: URL, dir: string): ChildProcess {
  const hooks = join(dir, 'ts-hooks.mjs');
  const register = join(dir, 'ts-register.mjs');
  writeFileSync(hooks, TS_HOOKS);
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  return fork(fileURLToPath(entry), [], { execArgv: ['--conditions=source', '--import', pathToFileURL(register).href], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
