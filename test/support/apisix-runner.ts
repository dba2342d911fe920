// Starts the real runner process the way APISIX does (`ext-plugin.cmd` with APISIX_LISTEN_ADDRESS
// and APISIX_CONF_EXPIRE_TIME in the environment), from a bundle built fresh from source, and polls
// until it answers on its socket, as the APISIX-side harness checklist says (APISIX itself does not wait).
import { join } from 'node:path';
import { apisixCodec, ipBytes } from './apisix-side/index.js';
import { FreshBundle, startNodeProcess, waitUntilAnswering, type NodeProcess } from './node-process.js';

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

/** A call with a conf token nobody was given: answered CONF_TOKEN_NOT_FOUND once the runner is ready. */
export const UNKNOWN_TOKEN_PROBE = apisixCodec.encodeHttpReqCallRequest({ id: 0, srcIp: ipBytes('127.0.0.1'), method: 'GET', path: '/', args: [], headers: [], confToken: 0 });

/** APISIX stops its runner with SIGTERM, then SIGKILL after 1 s (the default grace of `stop()`). */
export async function startRunner(options: { socketPath: string; env?: Record<string, string>; waitForSocket?: boolean }): Promise<RunnerProcess> {
  const env = { APISIX_LISTEN_ADDRESS: `unix:${options.socketPath}`, APISIX_CONF_EXPIRE_TIME: '3600', ...options.env };
  const runner: RunnerProcess = { ...startNodeProcess(await runnerBundle(), env, 1000), socketPath: options.socketPath };
  if (options.waitForSocket !== false) await waitUntilAnswering('runner', runner, options.socketPath, UNKNOWN_TOKEN_PROBE);
  return runner;
}
