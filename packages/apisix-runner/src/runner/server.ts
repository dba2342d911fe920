// The runner's listening side: a unix socket at APISIX_LISTEN_ADDRESS, one Connection per APISIX
// connection, all served concurrently (APISIX opens a second connection for PrepareConf while a
// call's connection is open, so serving one at a time would deadlock).
import { watch, type FSWatcher } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Server } from 'node:net';
import { dirname } from 'node:path';
import { MAX_PAYLOAD_BYTES } from '../protocol/rpc.js';
import { ConfCache } from './conf-cache.js';
import { Connection } from './connection.js';
import type { CallHandler } from './handler.js';
import { silentLogger, type Logger } from './log.js';
import { fileIdentity, listenAndHold, type HeldListener } from './unix-socket.js';

export interface RunnerServerOptions<C> {
  /** The socket path, without APISIX's `unix:` prefix (see parseListenAddress). */
  readonly socketPath: string;
  /** The socket already bound at `socketPath` by listenAndHold (the process entry binds first); unset: bound here. */
  readonly listener?: HeldListener;
  readonly handler: CallHandler<C>;
  /** How long a prepared conf stays valid; APISIX_CONF_EXPIRE_TIME × TTL_FACTOR. */
  readonly confTtlMs: number;
  /** Largest payload accepted from APISIX; a bigger announced frame closes the connection. */
  readonly maxPayloadBytes?: number;
  /** Connections silent for this long are closed (APISIX keeps idle ones for 180 s). */
  readonly idleTimeoutMs?: number;
  /** nginx workers may run as another user (nobody) than the master that started the runner; used without `listener`. */
  readonly socketMode?: number;
  readonly log?: Logger;
}

export interface RunnerServer {
  readonly socketPath: string;
  readonly connections: number;
  /**
   * Drains: keeps answering every call, on open and new connections, until APISIX has closed them
   * all and a successor has bound the path, or `graceMs` passed; then closes the idle ones. One with a call in progress then keeps
   * serving (APISIX reuses it at once, e.g. for the request's post-resp call) until APISIX closes
   * it or `limitMs` passed. Resolves once every connection is closed; removes the socket if it is
   * still its own.
   */
  close(graceMs?: number, limitMs?: number): Promise<void>;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;
export const RUNNER_SOCKET_MODE = 0o766;

export async function startRunnerServer<C>(options: RunnerServerOptions<C>): Promise<RunnerServer> {
  const log = options.log ?? silentLogger;
  const confs = new ConfCache<C>(options.confTtlMs);
  const connections = new Set<Connection<C>>();
  const maxPayloadBytes = Math.min(options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES);
  const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;

  // Resolved, and forgotten, each time the last open connection closes.
  let waitingForNone: (() => void)[] = [];
  const noneOpen = (): Promise<void> => (connections.size === 0 ? Promise.resolve() : new Promise((resolve) => waitingForNone.push(resolve)));
  const listener = options.listener ?? (await listenAndHold(options.socketPath, options.socketMode ?? RUNNER_SOCKET_MODE));
  const { server, identity } = listener;
  server.on('error', (error) => {
    log.error(`server error: ${error.message}`);
  });
  listener.serve((socket) => {
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    const connection = new Connection(socket, { handler: options.handler, confs, log, maxPayloadBytes });
    connections.add(connection);
    socket.on('close', () => {
      connections.delete(connection);
      if (connections.size > 0) return;
      for (const resolve of waitingForNone) resolve();
      waitingForNone = [];
    });
  });

  let closing: Promise<void> | undefined;
  return {
    socketPath: options.socketPath,
    get connections() {
      return connections.size;
    },
    close(graceMs = 800, limitMs = 950) {
      closing ??= drain(server, connections, noneOpen, { path: options.socketPath, identity }, { graceMs, limitMs });
      return closing;
    },
  };
}

/** APISIX passes `unix:/path/to.sock`; anything else is a deployment error worth a clear message. */
export function parseListenAddress(address: string | undefined): { ok: true; socketPath: string } | { ok: false; error: string } {
  if (address === undefined || address === '') return { ok: false, error: 'APISIX_LISTEN_ADDRESS is not set (APISIX sets it when it starts the runner)' };
  if (!address.startsWith('unix:') || address.length === 'unix:'.length) {
    return { ok: false, error: `APISIX_LISTEN_ADDRESS must look like unix:/path/to.sock, got ${JSON.stringify(address)}` };
  }
  return { ok: true, socketPath: address.slice('unix:'.length) };
}

/**
 * APISIX keeps idle connections in its keepalive pool and takes one out without checking it: a
 * connection the runner closes while idle fails the request that picks it up a moment later (no
 * retry, 503). So nothing is closed before APISIX lets go of it (its workers exit, its pool drops
 * it) or before the grace ends. New connections are accepted too: until a successor binds the path
 * this runner is the only one APISIX can reach, so the grace ends early only once every
 * connection is closed and a successor has bound the path (on a plain stop nobody does: the runner
 * listens for the whole grace, as APISIX's new workers of a reload may connect at any moment).
 * A connection with a call in progress is not cut when the grace ends (APISIX would fail that
 * request: "failed to reply RPC_EXTRA_INFO: broken pipe"), nor right after its answer: APISIX pools
 * it and takes it again at once (the same request's post-resp call), before it notices the close.
 * It is served until the limit, just before APISIX's SIGKILL, when everything left is cut.
 * On a reload the successor removes this socket file and binds its own at the same path; closing
 * the listener would unlink that path (libuv does on close), so it is closed only while it is ours.
 */
async function drain<C>(
  server: Server,
  connections: Set<Connection<C>>,
  noneOpen: () => Promise<void>,
  socket: { path: string; identity: string },
  times: { graceMs: number; limitMs: number },
): Promise<void> {
  const started = performance.now();
  const successor = successorBinding(socket);
  // Connections keep arriving until the successor bound the path; only then can none be left.
  await settledWithin(successor.bound.then(noneOpen), times.graceMs);
  successor.stop();
  // Timers run before the event loop polls for input: let it read a call APISIX already sent on
  // a connection that looks idle, so that the connection counts as busy.
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (const connection of connections) connection.closeIfIdle();
  await settledWithin(noneOpen(), times.limitMs - (performance.now() - started));
  const ours = (await fileIdentity(socket.path)) === socket.identity;
  // Stop accepting before cutting what is left, so that nothing new keeps the listener open.
  const listenerClosed = ours ? new Promise<void>((resolve) => server.close(() => { resolve(); })) : undefined;
  for (const connection of connections) connection.destroy();
  if (listenerClosed === undefined) {
    server.unref();
    return;
  }
  await listenerClosed;
  await unlink(socket.path).catch(() => undefined);
}

/** Resolves once another socket than ours sits at our path (a successor bound it). */
function successorBinding(socket: { path: string; identity: string }): { bound: Promise<void>; stop: () => void } {
  let watcher: FSWatcher | undefined;
  const bound = new Promise<void>((resolve) => {
    const check = () => {
      void fileIdentity(socket.path).then((current) => {
        if (current !== undefined && current !== socket.identity) resolve();
      });
    };
    try {
      watcher = watch(dirname(socket.path), check);
      watcher.on('error', () => undefined);
    } catch {
      // No inotify watch left: the grace runs its full length.
    }
    check();
  });
  return { bound, stop: () => watcher?.close() };
}

async function settledWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]);
  clearTimeout(timer);
}
