// Starts the real runner process the way APISIX does (`ext-plugin.cmd` with APISIX_LISTEN_ADDRESS
// and APISIX_CONF_EXPIRE_TIME in the environment), from a bundle built fresh from source, and polls
// for its socket as the APISIX-side harness checklist says (APISIX itself does not wait).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { bundleRunner } from '../../packages/apisix-runner/scripts/bundle.mjs';

export interface RunnerProcess {
  readonly socketPath: string;
  readonly child: ChildProcess;
  /** Everything the runner wrote (APISIX merges stdout and stderr into its error log). */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs` like APISIX; resolves when the process is gone. */
  stop(graceMs?: number): Promise<number | string>;
}

let bundled: Promise<string> | undefined;
let bundleDir: string | undefined;

/** One bundle per test file, built from the current sources. */
export function runnerBundle(): Promise<string> {
  if (bundled === undefined) {
    bundleDir = mkdtempSync(join(tmpdir(), 'tollgate-runner-bundle-'));
    bundled = bundleRunner(join(bundleDir, 'tollgate-runner.js'));
  }
  return bundled;
}

export function removeRunnerBundle(): void {
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
  bundled = undefined;
  bundleDir = undefined;
}

export async function startRunner(options: { socketPath: string; env?: Record<string, string>; waitForSocket?: boolean }): Promise<RunnerProcess> {
  const entry = await runnerBundle();
  const child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH ?? '',
      APISIX_LISTEN_ADDRESS: `unix:${options.socketPath}`,
      APISIX_CONF_EXPIRE_TIME: '3600',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => { resolve(code ?? signal ?? -1); }));
  const runner: RunnerProcess = {
    socketPath: options.socketPath,
    child,
    output: () => output,
    exited,
    async stop(graceMs = 1000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  if (options.waitForSocket !== false) await waitForSocket(runner);
  return runner;
}

/** The socket file appears at bind(), a moment before listen(): poll until a connect succeeds. */
async function waitForSocket(runner: RunnerProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!existsSync(runner.socketPath) || !(await connects(runner.socketPath))) {
    if (runner.child.exitCode !== null) throw new Error(`runner exited with ${runner.child.exitCode}: ${runner.output()}`);
    if (Date.now() > deadline) throw new Error(`runner did not create ${runner.socketPath} within 10 s: ${runner.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function connects(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}
