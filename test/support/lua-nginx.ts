// Debian's nginx + lua-nginx-module running a Tollgate Lua adapter (the real handler.lua or
// tollgate.lua, with the project's gateway stand-ins from test/lua/) in front of a real node
// upstream that records what it received. One nginx per call, in its own prefix directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { LUA_MODULE, luaNginxConf } from './lua-nginx-conf.mjs';
import { freePort } from './redis.js';
import { skipOutsideCi } from './skip.js';

export const NGINX = process.env.NGINX ?? '/usr/sbin/nginx';

export type Gateway = 'kong' | 'apisix';

/** Why the Lua adapter tests cannot run here (never under CI, where it throws). */
export function luaSkipReason(): string | undefined {
  if (existsSync(NGINX) && existsSync(LUA_MODULE)) return undefined;
  const reason = `${NGINX} or ${LUA_MODULE} missing: Lua adapter tests skipped (apt-get install nginx libnginx-mod-http-lua lua-resty-core lua-cjson)`;
  return skipOutsideCi(reason);
}

/** A consumer key-auth knows: the client sends `apikey: <key>`. */
export interface TestConsumer {
  readonly id: string;
  readonly username: string;
  readonly credential?: string;
}

export interface NginxOptions {
  readonly dir: string;
  readonly gateway: Gateway;
  /** The plugin entry's config (policy, route, socket, timeouts). */
  readonly conf: Readonly<Record<string, unknown>>;
  readonly consumers?: Readonly<Record<string, TestConsumer>>;
  readonly upstreamPort: number;
  readonly workers?: number;
  /** Lua the access phase runs before the adapter's: a plugin earlier in the gateway's chain. */
  readonly before?: string;
  /** More http-block directives (e.g. client_max_body_size). */
  readonly extraHttp?: string;
}

export interface LuaNginx {
  readonly port: number;
  errorLog(): string;
  stop(): Promise<void>;
}

export async function startNginx(options: NginxOptions): Promise<LuaNginx> {
  const prefix = options.dir;
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const port = await freePort();
  const confPath = join(prefix, 'plugin.json');
  const consumersPath = join(prefix, 'consumers.json');
  writeFileSync(confPath, JSON.stringify({ default: options.conf }));
  writeFileSync(consumersPath, JSON.stringify(options.consumers ?? {}));
  const shim = options.gateway === 'kong' ? 'kong_shim' : 'apisix_shim';
  const errorLog = join(prefix, 'logs', 'error.log');
  const confs = { [shim]: confPath };
  writeFileSync(join(prefix, 'nginx.conf'), luaNginxConf({ prefix, port, upstream: `127.0.0.1:${options.upstreamPort}`, workers: options.workers, locations: [{ path: '/', shim, entry: 'default', ...(options.before === undefined ? {} : { before: options.before }) }], confs, consumersPath, ...(options.extraHttp === undefined ? {} : { extraHttp: options.extraHttp }) }));
  const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', errorLog], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  await waitForPort(port, child, () => `${stderr}${readLog(errorLog)}`);
  return {
    port,
    errorLog: () => readLog(errorLog),
    async stop() {
      // SIGQUIT: graceful, so the log phase's timers (follow-ups) finish first.
      child.kill('SIGQUIT');
      await exited;
    },
  };
}

function readLog(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${output()}`);
    const up = await new Promise<boolean>((resolve) => {
      // A bare TCP connect: a request would reach the adapter and spend quota.
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.on('error', () => { resolve(false); });
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nginx did not listen on ${port}: ${output()}`);
}

/** What the upstream received for the last request. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RecordingUpstream {
  readonly port: number;
  /** The status, headers and body the next responses get. */
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string;
  /** How long the next responses wait before they are sent. */
  delayMs: number;
  readonly received: Received[];
  close(): Promise<void>;
}

export async function startUpstream(): Promise<RecordingUpstream> {
  const upstream: RecordingUpstream = { port: 0, status: 200, headers: {}, body: '', delayMs: 0, received: [], close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      upstream.received.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries([...url.searchParams].reverse()), headers, body: Buffer.concat(chunks).toString() });
      const { status, headers: sent, body } = upstream;
      const answer = (): void => { res.writeHead(status, sent).end(body); };
      if (upstream.delayMs > 0) setTimeout(answer, upstream.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => { resolve(); }));
  const address = server.address();
  return Object.assign(upstream, {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve(); }); }),
  });
}

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** One request as curl would send it (any Host header, raw path and query; a body with its Content-Length). */
export function send(port: number, method: string, target: string, headers: Readonly<Record<string, string>> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const framed = body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
    const req = httpRequest({ host: '127.0.0.1', port, method, path: target, headers: framed, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const joined = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
        resolve({ status: res.statusCode ?? 0, headers: joined, body });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
