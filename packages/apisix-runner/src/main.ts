// The runner process APISIX starts through `ext-plugin.cmd`. APISIX passes the socket address and
// its token lifetime in the environment, sends SIGTERM on stop/reload and SIGKILLs after 1 s, and
// copies this process's output into its error log.
import { createRuntime } from '@tollgate/engine';
import { TTL_FACTOR } from './runner/conf-cache.js';
import { isLogLevel, streamLogger } from './runner/log.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, parseListenAddress, startRunnerServer } from './runner/server.js';
import { createTollgateHandler } from './tollgate/handler.js';

const DEFAULT_CONF_EXPIRE_SECONDS = 3600;
// APISIX kills the runner 1 s after SIGTERM: keep answering (drain) for most of that, then give
// calls still in progress until just before the kill to answer; exit once every answer is flushed.
const SHUTDOWN_GRACE_MS = 800;
const SHUTDOWN_LIMIT_MS = 950;

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  // A vanished reader of our output (APISIX gone) must not crash the runner.
  process.stderr.on('error', () => undefined);
  const level = env.TOLLGATE_LOG_LEVEL ?? 'info';
  const log = streamLogger(isLogLevel(level) ? level : 'info');
  if (!isLogLevel(level)) log.warn(`TOLLGATE_LOG_LEVEL=${level} is not one of debug, info, warn, error; using info`);

  const address = parseListenAddress(env.APISIX_LISTEN_ADDRESS);
  const expire = positiveNumber(env.APISIX_CONF_EXPIRE_TIME, DEFAULT_CONF_EXPIRE_SECONDS);
  const maxPayloadBytes = positiveNumber(env.TOLLGATE_MAX_FRAME_BYTES, DEFAULT_MAX_PAYLOAD_BYTES);
  if (!address.ok) {
    log.error(address.error);
    process.exitCode = 1;
    return;
  }

  const runtime = createRuntime({ env, router: 'apisix', onError: (message) => { log.error(message); } });
  const server = await startRunnerServer({
    socketPath: address.socketPath,
    handler: createTollgateHandler(runtime, log),
    confTtlMs: expire * 1000 * TTL_FACTOR,
    maxPayloadBytes,
    log,
  });
  log.info(`listening on unix:${address.socketPath} (conf tokens kept ${expire * TTL_FACTOR} s)`);

  process.on('unhandledRejection', (reason) => {
    log.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  const stop = (signal: string) => {
    log.info(`${signal}: closing`);
    void server
      .close(SHUTDOWN_GRACE_MS, SHUTDOWN_LIMIT_MS)
      .then(() => runtime.close())
      .catch((error: unknown) => {
        log.error(`shutdown: ${String(error)}`);
      })
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => { stop('SIGTERM'); });
  process.once('SIGINT', () => { stop('SIGINT'); });
}

function positiveNumber(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

main(process.env).catch((error: unknown) => {
  process.stderr.write(`tollgate-runner error: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
