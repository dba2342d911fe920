// The real sidecar process (bundled fresh from source, as deployments run dist/tollgate-sidecar.js)
// and a minimal adapter-side client for its frames.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleSidecar } from '../../packages/sidecar/scripts/bundle.mjs';
import { encodeFrame, FrameReader, type Frame } from '../../packages/apisix-runner/src/index.js';

export interface SidecarProcess {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | string>;
  /** SIGTERM (then SIGKILL after `graceMs`); resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<number | string>;
}

let bundled: Promise<string> | undefined;
let bundleDir: string | undefined;

export function sidecarBundle(): Promise<string> {
  if (bundled === undefined) {
    bundleDir = mkdtempSync(join(tmpdir(), 'tollgate-sidecar-bundle-'));
    bundled = bundleSidecar(join(bundleDir, 'tollgate-sidecar.js'));
  }
  return bundled;
}

export function removeSidecarBundle(): void {
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
  bundled = undefined;
  bundleDir = undefined;
}

export async function startSidecar(socketPath: string, env: Record<string, string> = {}): Promise<SidecarProcess> {
  const entry = await sidecarBundle();
  const child = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', TOLLGATE_SIDECAR_SOCKET: socketPath, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => { resolve(code ?? signal ?? -1); }));
  const sidecar: SidecarProcess = {
    child,
    output: () => output,
    exited,
    async stop(graceMs = 2000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  const deadline = Date.now() + 10_000;
  while (!(await connects(socketPath))) {
    if (child.exitCode !== null) throw new Error(`sidecar exited with ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) throw new Error(`sidecar did not listen on ${socketPath} within 10 s: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return sidecar;
}

function connects(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { resolve(false); });
  });
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
