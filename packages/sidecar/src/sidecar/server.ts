// The sidecar's listening side: a unix socket, one reader per adapter connection, answers written
// in request order (an adapter sends one request at a time on a pooled connection; ordering keeps
// pipelining correct too). A frame that fails its checks is answered ERROR and the connection is
// closed: after a bad frame nothing on that stream can be trusted. Shutdown removes the socket
// first (no new connections; a restarted sidecar can bind at once), closes idle connections, and
// answers every request already received before closing the rest.
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

/** Frames received, by request type: the benchmark's round-trip count. */
export interface SidecarStats {
  register: number;
  decide: number;
  complete: number;
  invalid: number;
}

export interface SidecarServer {
  readonly socketPath: string;
  readonly stats: Readonly<SidecarStats>;
  /** Stops accepting and answers what was received, for up to `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** An answer not written yet: its frame once ready (answers go out in request order). */
interface Slot {
  answer: Answer | undefined;
}

class AdapterConnection {
  readonly #reader: FrameReader;
  /** Requests received and not answered yet, oldest first; written as the head's answer is ready. */
  readonly #waiting: Slot[] = [];
  #closing = false;
  #idle: (() => void) | undefined;

  constructor(
    readonly socket: Socket,
    private readonly options: Required<Pick<SidecarServerOptions, 'handler' | 'log'>> & { readonly maxFrameBytes: number; readonly stats: SidecarStats },
  ) {
    this.#reader = new FrameReader(options.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => { this.#receive(chunk); });
    socket.on('error', () => undefined);
  }

  get inFlight(): number {
    return this.#waiting.length;
  }

  /** Ends the connection once everything received is answered. */
  drain(): Promise<void> {
    this.#closing = true;
    if (this.#waiting.length === 0) {
      this.socket.end();
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.#idle = () => { this.socket.end(); resolve(); }));
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
      this.#answer(answered);
    }
  }

  /**
   * Nothing waiting and the answer ready: written now. Otherwise it takes the next slot and is
   * written once every earlier answer is: one reaction per answer, no promise chain per request
   * (an adapter's cosocket sends one request at a time, so the queue is mostly empty).
   */
  #answer(answered: Answer | Promise<Answer>): void {
    if (this.#waiting.length === 0 && !(answered instanceof Promise)) {
      this.#write(answered);
      return;
    }
    const slot: Slot = { answer: undefined };
    this.#waiting.push(slot);
    if (!(answered instanceof Promise)) {
      slot.answer = answered;
      return;
    }
    answered.then(
      (answer) => {
        this.#ready(slot, answer);
      },
      (error: unknown) => {
        this.options.log.error(`request failed: ${error instanceof Error ? error.message : String(error)}`);
        this.#ready(slot, { type: FrameType.Error, body: { error: 'internal error' } });
      },
    );
  }

  /** Writes every answer from the oldest on that is ready. */
  #ready(slot: Slot, answer: Answer): void {
    slot.answer = answer;
    const waiting = this.#waiting;
    let written = 0;
    while (written < waiting.length) {
      const ready = (waiting[written] as Slot).answer;
      if (ready === undefined) break;
      this.#write(ready);
      written += 1;
    }
    if (written > 0) waiting.splice(0, written);
    if (waiting.length === 0 && this.#closing) this.#idle?.();
  }

  #write(answer: Answer): void {
    if (!this.socket.destroyed) this.socket.write(encodeTextFrame(answer.type, JSON.stringify(answer.body)));
  }

  #reject(error: string): void {
    this.options.stats.invalid += 1;
    this.options.log.warn(`closing a connection after a bad frame: ${error}`);
    this.#write({ type: FrameType.Error, body: { error } });
    this.socket.end();
    this.socket.removeAllListeners('data');
  }
}

export const SIDECAR_SOCKET_MODE = 0o766;

export async function startSidecarServer(options: SidecarServerOptions): Promise<SidecarServer> {
  const log = options.log ?? silentLogger;
  const stats: SidecarStats = { register: 0, decide: 0, complete: 0, invalid: 0 };
  const connections = new Set<AdapterConnection>();
  const maxFrameBytes = Math.min(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 0xff_ff_ff);
  const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
  const listener = options.listener ?? (await listenAndHold(options.socketPath, options.socketMode ?? SIDECAR_SOCKET_MODE));
  const { server } = listener;
  server.on('error', (error) => { log.error(`server error: ${error.message}`); });
  listener.serve((socket) => {
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    const connection = new AdapterConnection(socket, { handler: options.handler, log, maxFrameBytes, stats });
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
  clearTimeout(timer);
  for (const connection of connections) connection.socket.destroy();
  await stopped;
}
