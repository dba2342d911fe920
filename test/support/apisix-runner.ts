// Starts the real runner process the way APISIX does (`ext-plugin.cmd` with APISIX_LISTEN_ADDRESS
// and APISIX_CONF_EXPIRE_TIME in the environment), from a bundle built fresh from source, and polls
// for its socket as the APISIX-side harness checklist says (APISIX itself does not wait).
import { join } from 'node:path';
import { FreshBundle, startNodeProcess, waitUntilListening, type NodeProcess } from './node-process.js';

export interface RunnerProcess extends NodeProcess {
  readonly socketPath: string;
}

const bundle = new FreshBundle(join(import.meta.dirname, '../../packages/apisix-runner/src/main.ts'), 'tollgate-runner.js');

/** One bundle per test file, built from the current sources. */
export function runnerBundle(): Promise<string> {
  return bundle.path();
}

export function removeRunnerBundle(): void {
  bundle.remove();
}

/** APISIX stops its runner with SIGTERM, then SIGKILL after 1 s (the default grace of `stop()`). */
export async function startRunner(options: { socketPath: string; env?: Record<string, string>; waitForSocket?: boolean }): Promise<RunnerProcess> {
  const env = { APISIX_LISTEN_ADDRESS: `unix:${options.socketPath}`, APISIX_CONF_EXPIRE_TIME: '3600', ...options.env };
  const runner: RunnerProcess = { ...startNodeProcess(await runnerBundle(), env, 1000), socketPath: options.socketPath };
  if (options.waitForSocket !== false) await waitUntilListening('runner', runner, options.socketPath);
  return runner;
}
