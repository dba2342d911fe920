// What the sidecar and the APISIX runner helpers share: a bundle built fresh from source once per
// test file, a node process on it with its output collected, and the wait until its socket listens.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleExecutable } from '../../scripts/bundle-executable.mjs';

export interface NodeProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote, stdout and stderr merged (as APISIX's error log has it). */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<number | string>;
}

/** One bundle of a package entry per test file, built from the current sources into a temporary folder. */
export class FreshBundle {
  #bundled: Promise<string> | undefined;
  #dir: string | undefined;

  constructor(readonly entry: string, readonly fileName: string) {}

  path(): Promise<string> {
    if (this.#bundled === undefined) {
      this.#dir = mkdtempSync(join(tmpdir(), 'tollgate-bundle-'));
      this.#bundled = bundleExecutable(this.entry, join(this.#dir, this.fileName));
    }
    return this.#bundled;
  }

  remove(): void {
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
    this.#bundled = undefined;
    this.#dir = undefined;
  }
}

export function startNodeProcess(entry: string, env: Record<string, string>, defaultGraceMs: number): NodeProcess {
  const child = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => { resolve(code ?? signal ?? -1); }));
  return {
    child,
    output: () => output,
    exited,
    async stop(graceMs = defaultGraceMs) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/**
 * Until the process answers on its socket: it binds before it has loaded the engine (connections
 * wait meanwhile), so a connect alone does not say it is ready. `probe` is a frame it answers
 * without a trace in its output or its state (a call with a conf token nobody was given).
 */
export async function waitUntilAnswering(name: string, started: NodeProcess, socketPath: string, probe: Buffer): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await answers(socketPath, probe))) {
    if (started.child.exitCode !== null) throw new Error(`${name} exited with ${started.child.exitCode}: ${started.output()}`);
    if (Date.now() > deadline) throw new Error(`${name} did not answer on ${socketPath} within 10 s: ${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function answers(path: string, probe: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => socket.write(probe));
    socket.once('data', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { resolve(false); });
    socket.once('close', () => { resolve(false); });
  });
}
