// A client connection that reads whole frames with a deadline, like APISIX's cosocket calls
// (`sock:receive(4)` then `sock:receive(len)` under a read timeout). Errors are the strings APISIX
// would log: "timeout", "closed", or the socket's own error.
import { createConnection, type Socket } from 'node:net';
import { FrameReader, type Frame } from '../../../packages/apisix-runner/src/protocol/frame.js';

export type Received = { readonly ok: true; readonly frame: Frame } | { readonly ok: false; readonly error: string };

export class FrameSocket {
  private readonly reader = new FrameReader();
  private readonly frames: Frame[] = [];
  private waiter: ((received: Received) => void) | undefined;
  private failure: string | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.reader.push(chunk)) this.frames.push(frame);
      this.wake();
    });
    socket.on('error', (error) => {
      this.failure ??= error.message;
      this.wake();
    });
    // The peer's end of the stream already makes the connection unusable: nginx drops a pooled
    // connection as soon as the runner closes it, without waiting for the socket to finish closing.
    const closed = () => {
      this.failure ??= 'closed';
      this.wake();
    };
    socket.on('end', closed);
    socket.on('close', closed);
  }

  static connect(path: string, timeoutMs: number): Promise<{ ok: true; socket: FrameSocket } | { ok: false; error: string }> {
    return new Promise((resolve) => {
      const socket = createConnection(path);
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ ok: false, error: 'timeout' });
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve({ ok: true, socket: new FrameSocket(socket) });
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        resolve({ ok: false, error: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : error.message });
      });
    });
  }

  get usable(): boolean {
    return this.failure === undefined && this.frames.length === 0 && !this.socket.destroyed;
  }

  send(frame: Buffer): boolean {
    if (this.failure !== undefined || !this.socket.writable) return false;
    this.socket.write(frame);
    return true;
  }

  receive(timeoutMs: number): Promise<Received> {
    const ready = this.take();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ ok: false, error: 'timeout' });
      }, timeoutMs);
      this.waiter = (received) => {
        clearTimeout(timer);
        resolve(received);
      };
    });
  }

  /** Closes without waiting (APISIX closes a socket after any error instead of pooling it). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Lets the process exit while this socket sits idle in a pool. */
  unref(): void {
    this.socket.unref();
  }

  ref(): void {
    this.socket.ref();
  }

  private take(): Received | undefined {
    const frame = this.frames.shift();
    if (frame !== undefined) return { ok: true, frame };
    if (this.failure !== undefined) return { ok: false, error: this.failure };
    return undefined;
  }

  private wake(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    const received = this.take();
    if (received === undefined) return;
    this.waiter = undefined;
    waiter(received);
  }
}
