// Real redis-server processes for tests: a standalone server or a 3-master cluster on free
// loopback ports, stopped and restarted on demand. Suites skip with a visible reason when
// redis-server is not installed, except under CI where its absence is a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') throw new Error(`CI is set but ${reason}`);
  return reason;
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

  async close(): Promise<void> {
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
