// Starts the local x402 facilitator as a child process, from a bundle built fresh from source
// (one per test file), and hands back its URL once it listens.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bundleForNode } from './node-bundle.js';
import type { Settlement } from './x402-facilitator.js';

export interface FacilitatorProcess {
  readonly url: string;
  /** What the facilitator settled so far (GET /settlements). */
  settlements(): Promise<Settlement[]>;
  stop(): Promise<void>;
}

let bundled: Promise<string> | undefined;
let bundleDir: string | undefined;

function facilitatorBundle(): Promise<string> {
  if (bundled === undefined) {
    bundleDir = mkdtempSync(join(tmpdir(), 'tollgate-x402-facilitator-'));
    const outfile = join(bundleDir, 'facilitator.mjs');
    bundled = bundleForNode(join(import.meta.dirname, 'x402-facilitator-main.ts'), outfile).then(() => outfile);
  }
  return bundled;
}

export function removeFacilitatorBundle(): void {
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
  bundled = undefined;
  bundleDir = undefined;
}

export interface FacilitatorProcessOptions {
  readonly networks?: readonly string[];
  /** `Name: value` that /verify and /settle require (else 401), as a hosted facilitator requires its credentials. */
  readonly requireHeader?: string;
  /** Serve /redirect?to=<URL> and /redirect/<percent-encoded URL>/<rest> as an open redirect (307). */
  readonly openRedirect?: boolean;
}

export async function startFacilitatorProcess(options: FacilitatorProcessOptions = {}): Promise<FacilitatorProcess> {
  const entry = await facilitatorBundle();
  const args = [
    entry,
    ...(options.networks ?? []).flatMap((n) => ['--network', n]),
    ...(options.requireHeader === undefined ? [] : ['--require-header', options.requireHeader]),
    ...(options.openRedirect === true ? ['--open-redirect'] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`facilitator did not start within 10 s: ${stderr}`)); }, 10_000);
    void exited.then(() => { reject(new Error(`facilitator exited before listening: ${stderr}`)); });
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  return {
    url,
    settlements: async () => (await (await fetch(`${url}/settlements`)).json()) as Settlement[],
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
