import { Writable } from 'node:stream';
import { main } from '../main.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs the CLI in-process with captured output, as a scenario test needs it. */
export async function runCli(args: readonly string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(args, { cwd, env, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
