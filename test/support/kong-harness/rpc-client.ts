// Kong's side of the MessagePack-RPC transport (kong/runloop/plugin_servers/rpc/mp_rpc.lua): for
// every call take a pooled unix-socket connection, write exactly one request frame, read until one
// complete object decodes, then return the connection to the pool. One request in flight per
// connection, never pipelined: kong-js-pluginserver decodes each socket chunk on its own and dies
// when two frames share one.
import { connect, type Socket } from 'node:net';
import { Decoder, Encoder } from '@msgpack/msgpack';

/** The socket failed, closed, or answered something that is not a reply to this call. */
export class RpcTransportError extends Error {
  override readonly name = 'RpcTransportError';
}

export type RpcReply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

// Kong drops nil values from Lua tables, so a key whose value is undefined must be absent.
const encoder = new Encoder(undefined, undefined, 100, 2048, false, false, true);
const INSUFFICIENT = /Insufficient data/;
const POOL_SIZE = 256; // lua_socket_pool_size in Kong's nginx template

/** `[0, msgid, method, params]`, as Kong's Rpc:call frames it. */
export function encodeRequest(msgid: number, method: string, params: readonly unknown[]): Buffer {
  // encode() returns a view of the encoder's reusable buffer: copy before the socket queues it.
  return Buffer.from(encoder.encode([0, msgid, method, params]));
}

class RpcConnection {
  readonly #socket: Socket;
  #chunks: Buffer[] = [];
  #pending: { resolve: (value: unknown) => void; reject: (error: Error) => void } | undefined;
  #failure: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk) => {
      this.#onData(chunk);
    });
    socket.on('error', (error) => {
      this.#fail(new RpcTransportError(error.message));
    });
    socket.on('close', () => {
      this.#fail(new RpcTransportError('connection closed by the plugin server'));
    });
  }

  static open(path: string): Promise<RpcConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => {
        resolve(new RpcConnection(socket));
      });
      socket.once('error', (error) => {
        reject(new RpcTransportError(`trying to connect: ${error.message}`));
      });
    });
  }

  get usable(): boolean {
    return this.#failure === undefined && this.#pending === undefined;
  }

  exchange(frame: Uint8Array): Promise<unknown> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#socket.write(frame);
    });
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    const pending = this.#pending;
    if (!pending) {
      this.#fail(new RpcTransportError('unsolicited data from the plugin server'));
      return;
    }
    let decoded: unknown;
    try {
      decoded = new Decoder().decode(Buffer.concat(this.#chunks));
    } catch (error) {
      if (error instanceof RangeError && INSUFFICIENT.test(error.message)) return;
      this.#fail(new RpcTransportError(`undecodable reply: ${String(error)}`));
      return;
    }
    this.#chunks = [];
    this.#pending = undefined;
    pending.resolve(decoded);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(this.#failure);
    this.#socket.destroy();
  }
}

/** A keepalive pool of connections to one plugin-server socket (Kong's cosocket pool). */
export class RpcClient {
  readonly #idle: RpcConnection[] = [];
  #closed = false;

  constructor(readonly socketPath: string) {}

  /** Sends `[0, msgid, method, [params]]` and returns the reply's error or result. */
  async call(msgid: number, method: string, params: readonly unknown[]): Promise<RpcReply> {
    const connection = await this.#take();
    let reply: unknown;
    try {
      reply = await connection.exchange(encodeRequest(msgid, method, params));
    } catch (error) {
      connection.destroy();
      throw error;
    }
    this.#release(connection);
    return parseReply(reply, msgid);
  }

  close(): void {
    this.#closed = true;
    for (const connection of this.#idle.splice(0)) connection.destroy();
  }

  async #take(): Promise<RpcConnection> {
    for (let connection = this.#idle.pop(); connection; connection = this.#idle.pop()) {
      if (connection.usable) return connection;
      connection.destroy();
    }
    return RpcConnection.open(this.socketPath);
  }

  #release(connection: RpcConnection): void {
    if (this.#closed || this.#idle.length >= POOL_SIZE) connection.destroy();
    else this.#idle.push(connection);
  }
}

function parseReply(reply: unknown, msgid: number): RpcReply {
  // Kong asserts both; a failed assert is a Lua error for the request.
  if (!Array.isArray(reply) || reply[0] !== 1) throw new RpcTransportError('RPC response expected from plugin server');
  if (reply[1] !== msgid) throw new RpcTransportError('unexpected RPC response ID from plugin server');
  const error: unknown = reply[2];
  if (error !== null && error !== undefined) return { ok: false, error: typeof error === 'string' ? error : JSON.stringify(error) };
  return { ok: true, result: reply[3] };
}
