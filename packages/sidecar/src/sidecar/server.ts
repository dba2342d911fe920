// The sidecar's listening side: a unix socket, one reader per adapter connection, each answer
// written as soon as it is ready and carrying its request's number (each nginx worker pipelines its
// requests on one connection and matches the answers by number). A frame that fails its checks is
// answered ERROR and nothing more is read: after a bad frame nothing on that stream can be
// trusted; the connection ends once the requests read before it are answered. Shutdown removes
// the socket first (no new connections; a restarted sidecar can bind at once), closes idle
// connections, and answers every request already received before closing the rest.
import { unlink } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { encodeTextFrame, FrameReader, FrameTooLargeError, listenAndHold, silentLogger, type HeldListener, type Logger } from '@tollgate/apisix-runner';
import { DEFAULT_MAX_FRAME_BYTES, FrameType, parseRequest } from '../protocol/wire.js';
import type { Answer, SidecarHandler } from './handler.js';

export interface SidecarServerOptions {
  readonly socketPath: string;
  /** The socket already bound at `socketPath` by listenAndHold (the process entry binds first); unset: bound here. */
  readonly listener?: HeldListener;
  readonly handler: SidecarHandler;
  readonly maxFrameBytes?: number;
  /** Connections silent this long are closed (adapters' pools keep theirs for less). */
  readonly idleTimeoutMs?: number;
  /** nginx workers may run as another user than the one that started the sidecar; used without `listener`. */
  readonly socketMode?: number;
  readonly log?: Logger;
}

/** Frames received, by request type (the benchmark's round-trip count), and connections accepted. */
export interface SidecarStats {
  register: number;
  decide: number;
  complete: number;
  invalid: number;
  connections: number;
}

export interface SidecarServer {
  readonly socketPath: string;
  readonly stats: Readonly<SidecarStats>;
  /** Stops accepting and answers what was received, for up to `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

class AdapterConnection {
  readonly #reader: FrameReader;
  /** Requests received and not answered yet. */
  #inFlight = 0;
  #idle: (() => void) | undefined;
  /** Set by the first drain (shutdown, idle timeout or a bad frame): the connection ends once. */
  #drained: Promise<void> | undefined;
  #ended = false;

  constructor(
    readonly socket: Socket,
    private readonly options: Required<Pick<SidecarServerOptions, 'handler' | 'log'>> & { readonly maxFrameBytes: number; readonly stats: SidecarStats },
  ) {
    this.#reader = new FrameReader(options.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => { this.#receive(chunk); });
    socket.on('error', () => undefined);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** drain() was called: the connection ends (or ended) once everything received is answered. */
  get draining(): boolean {
    return this.#drained !== undefined;
  }

  /**
   * Reads nothing more at once, and ends the connection with GOAWAY once everything taken is
   * answered: what arrives meanwhile is never taken, so the adapter sends it again (elsewhere).
   * Reading on would keep a busy connection from ever draining.
   */
  drain(): Promise<void> {
    this.#drained ??= new Promise<void>((resolve) => {
      // Not paused: what still arrives is dropped, and the adapter's close is seen.
      this.socket.removeAllListeners('data');
      if (this.#inFlight === 0) {
        this.#end();
        resolve();
      } else {
        this.#idle = () => { this.#end(); resolve(); };
      }
    });
    return this.#drained;
  }

  /** Says that nothing more is read (GOAWAY): every request read is answered by now, so the adapter may send the rest again. */
  #end(): void {
    this.#write({ type: FrameType.GoAway, body: {} }, undefined);
    this.socket.end();
    this.#ended = true;
  }

  /** GOAWAY and the answers before it are written (perhaps not yet flushed): the connection closes once the adapter closes its side. */
  get ended(): boolean {
    return this.#ended;
  }

  #receive(chunk: Buffer): void {
    let frames;
    try {
      frames = this.#reader.push(chunk);
    } catch (error) {
      this.#reject(error instanceof FrameTooLargeError ? error.message : 'unreadable frame');
      return;
    }
    for (const frame of frames) {
      const parsed = parseRequest(frame.type, frame.payload);
      if (!parsed.ok) {
        this.#reject(parsed.error);
        return;
      }
      const { stats, handler } = this.options;
      const request = parsed.value;
      stats[request.kind] += 1;
      const answered =
        request.kind === 'decide' ? handler.decide(request.request) : request.kind === 'register' ? handler.register(request.request) : handler.complete(request.request);
      if (answered instanceof Promise) this.#later(answered, request.id);
      else this.#write(answered, request.id);
    }
  }

  /** Written when ready, whatever was received after it: one slow decision holds up no other. */
  #later(answered: Promise<Answer>, id: number | undefined): void {
    this.#inFlight += 1;
    const done = (answer: Answer): void => {
      this.#inFlight -= 1;
      this.#write(answer, id);
      // #idle is set only while draining.
      if (this.#inFlight === 0) this.#idle?.();
    };
    answered.then(done, (error: unknown) => {
      this.options.log.error(`request failed: ${error instanceof Error ? error.message : String(error)}`);
      done({ type: FrameType.Error, body: { error: 'internal error' } });
    });
  }

  /**
   * Answers made in one turn of the event loop leave in one write: an adapter pipelines a worker's
   * requests on one connection, so a read holds many frames, and their answers (or a Redis reply's
   * worth of them) come in the same turn. Uncorked once the turn's promise reactions have run.
   */
  #write(answer: Answer, id: number | undefined): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (socket.writableCorked === 0) {
      socket.cork();
      process.nextTick(uncork, socket);
    }
    const body = id === undefined ? answer.body : { ...answer.body, i: id };
    socket.write(encodeTextFrame(answer.type, JSON.stringify(body)));
  }

  /**
   * After a bad frame nothing more on the stream can be trusted, so nothing more is read; but the
   * requests read before it were taken (charged, perhaps), so they are answered before the
   * connection ends: an adapter sends again only what was never answered.
   */
  #reject(error: string): void {
    this.options.stats.invalid += 1;
    this.options.log.warn(`closing a connection after a bad frame: ${error}`);
    this.#write({ type: FrameType.Error, body: { error } }, undefined);
    void this.drain();
  }
}

function uncork(socket: Socket): void {
  socket.uncork();
}

export const SIDECAR_SOCKET_MODE = 0o766;

export async function startSidecarServer(options: SidecarServerOptions): Promise<SidecarServer> {
  const log = options.log ?? silentLogger;
  const stats: SidecarStats = { register: 0, decide: 0, complete: 0, invalid: 0, connections: 0 };
  const connections = new Set<AdapterConnection>();
  const maxFrameBytes = Math.min(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 0xff_ff_ff);
  const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
  const listener = options.listener ?? (await listenAndHold(options.socketPath, options.socketMode ?? SIDECAR_SOCKET_MODE));
  const { server } = listener;
  server.on('error', (error) => { log.error(`server error: ${error.message}`); });
  listener.serve((socket) => {
    stats.connections += 1;
    const connection = new AdapterConnection(socket, { handler: options.handler, log, maxFrameBytes, stats });
    // Ended as at shutdown (GOAWAY): a request the adapter sent as the timeout fired is sent again.
    // Still open a timeout later (a peer that never closed its side): destroyed. The timer fires
    // once per setTimeout, so it is set again.
    socket.setTimeout(idleTimeoutMs);
    socket.on('timeout', () => {
      if (connection.draining) return void socket.destroy();
      void connection.drain();
      socket.setTimeout(idleTimeoutMs);
    });
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  });

  let closing: Promise<void> | undefined;
  return {
    socketPath: options.socketPath,
    stats,
    close(graceMs = 800) {
      closing ??= closeServer(server, connections, options.socketPath, graceMs);
      return closing;
    },
  };
}

async function closeServer(server: Server, connections: Set<AdapterConnection>, socketPath: string, graceMs: number): Promise<void> {
  const stopped = new Promise<void>((resolve) => server.close(() => { resolve(); }));
  await unlink(socketPath).catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  await Promise.race([Promise.all([...connections].map((c) => c.drain())), grace]);
  // Still deciding: cut (its requests may have been decided, so no GOAWAY). Ended ones keep the
  // rest of the grace to flush their last answers and GOAWAY until the adapter closes its side.
  for (const connection of connections) if (!connection.ended) connection.socket.destroy();
  await Promise.race([Promise.all([...connections].map((c) => new Promise((resolve) => c.socket.once('close', resolve)))), grace]);
  clearTimeout(timer);
  for (const connection of connections) connection.socket.destroy();
  await stopped;
}
