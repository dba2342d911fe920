// The runner process APISIX starts through `ext-plugin.cmd`. APISIX passes the socket address and
// its token lifetime in the environment, sends SIGTERM on stop/reload and SIGKILLs after 1 s, and
// copies this process's output into its error log.
import { createRuntime } from '@tollgate/engine';
import { TTL_FACTOR } from './runner/conf-cache.js';
import { closeOnSignals, positiveNumber, processLogger, runProcess } from './runner/process.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, parseListenAddress, startRunnerServer } from './runner/server.js';
import { createTollgateHandler } from './tollgate/handler.js';

const DEFAULT_CONF_EXPIRE_SECONDS = 3600;
// APISIX kills the runner 1 s after SIGTERM: keep answering (drain) for most of that, then give
// calls still in progress until just before the kill to answer; exit once every answer is flushed.
const SHUTDOWN_GRACE_MS = 800;
const SHUTDOWN_LIMIT_MS = 950;

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const log = processLogger(env);

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
  closeOnSignals(log, () => server.close(SHUTDOWN_GRACE_MS, SHUTDOWN_LIMIT_MS).then(() => runtime.close()));
}

runProcess('tollgate-runner', () => main(process.env));
