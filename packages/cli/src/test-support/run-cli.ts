import { Writable } from 'node:stream';
import type { Command } from '../io.js';
import { main } from '../main.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one command in-process with captured output; its CliErrors reach the caller. */
export async function runCommand(command: Command, args: readonly string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<Ran> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await command(args, { cwd, env, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs the whole CLI in-process, as a scenario test needs it (errors become exit code 2). */
export function runCli(args: readonly string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<Ran> {
  return runCommand(main, args, cwd, env);
}
