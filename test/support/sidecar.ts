// The real sidecar process (bundled fresh from source, as deployments run dist/tollgate-sidecar.js)
// and a minimal adapter-side client for its frames.
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeFrame, FrameReader, type Frame } from '../../packages/apisix-runner/src/index.js';
import { FreshBundle, startNodeProcess, waitUntilAnswering, type NodeProcess } from './node-process.js';
import { FrameType } from '../../packages/sidecar/src/protocol/wire.js';

export type SidecarProcess = NodeProcess;

const bundle = new FreshBundle(join(import.meta.dirname, '../../packages/sidecar/src/main.ts'), 'tollgate-sidecar.js');

export function sidecarBundle(): Promise<string> {
  return bundle.path();
}

export function removeSidecarBundle(): void {
  bundle.remove();
}

/** A decision for a token nobody registered: answered UNKNOWN_TOKEN once the sidecar is ready. */
export const UNKNOWN_TOKEN_PROBE = encodeFrame(FrameType.Decide, Buffer.from(JSON.stringify({ t: 0xff_ff_ff_ff, m: 'GET', p: '/', h: {} })));

export async function startSidecar(socketPath: string, env: Record<string, string> = {}): Promise<SidecarProcess> {
  const sidecar = startNodeProcess(await sidecarBundle(), { TOLLGATE_SIDECAR_SOCKET: socketPath, ...env }, 2000);
  await waitUntilAnswering('sidecar', sidecar, socketPath, UNKNOWN_TOKEN_PROBE);
  return sidecar;
}

/** One adapter connection: frames out, answers back in order; `closed` once the sidecar hung up. */
export class SidecarClient {
  readonly #reader = new FrameReader(0xff_ff_ff);
  readonly #answers: Frame[] = [];
  readonly #waiting: ((frame: Frame | undefined) => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.#reader.push(chunk)) {
        const waiter = this.#waiting.shift();
        if (waiter === undefined) this.#answers.push(frame);
        else waiter(frame);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.#waiting.splice(0)) waiter(undefined);
    });
    socket.on('error', () => undefined);
  }

  static connect(path: string): Promise<SidecarClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('connect', () => { resolve(new SidecarClient(socket)); });
      socket.once('error', reject);
    });
  }

  send(type: number, body: unknown): void {
    this.sendRaw(encodeFrame(type, Buffer.from(JSON.stringify(body))));
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next answer, or undefined when the connection closed first. */
  next(): Promise<Frame | undefined> {
    const ready = this.#answers.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async call(type: number, body: unknown): Promise<{ type: number; body: Record<string, unknown> } | undefined> {
    this.send(type, body);
    const answer = await this.next();
    return answer === undefined ? undefined : { type: answer.type, body: JSON.parse(Buffer.from(answer.payload).toString('utf8')) as Record<string, unknown> };
  }

  close(): void {
    this.socket.destroy();
  }
}
