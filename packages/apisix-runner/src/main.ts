// The runner process APISIX starts through `ext-plugin.cmd`. APISIX passes the socket address and
// its token lifetime in the environment, sends SIGTERM on stop/reload and SIGKILLs after 1 s, and
// copies this process's output into its error log.
// On a reload the new privileged agent starts this process while the old runner drains for at most
// 1 s, and APISIX's new workers connect to the same path at once (a refused connect is a 503). So
// the socket is bound before anything else loads: nothing imported statically here may load the
// engine; it loads after, while the connections already accepted wait (see listenAndHold).
import { TTL_FACTOR } from './runner/conf-cache.js';
import { positiveNumber, processLogger, runProcess, serveOnceLoaded } from './runner/process.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, parseListenAddress, RUNNER_SOCKET_MODE, startRunnerServer } from './runner/server.js';
import { listenAndHold } from './runner/unix-socket.js';

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

  const { socketPath } = address;
  await serveOnceLoaded(log, () => listenAndHold(socketPath, RUNNER_SOCKET_MODE), async (listener) => {
    const [{ createRuntime }, { createTollgateHandler }] = await Promise.all([import('@tollgate/engine'), import('./tollgate/handler.js')]);
    const runtime = createRuntime({ env, router: 'apisix', onError: (message) => { log.error(message); } });
    const server = await startRunnerServer({
      socketPath,
      listener,
      handler: createTollgateHandler(runtime, log),
      confTtlMs: expire * 1000 * TTL_FACTOR,
      maxPayloadBytes,
      log,
    });
    return (sinceSignalMs) => server.close(SHUTDOWN_GRACE_MS - sinceSignalMs, SHUTDOWN_LIMIT_MS - sinceSignalMs).then(() => runtime.close());
  });
  log.info(`listening on unix:${socketPath} (conf tokens kept ${expire * TTL_FACTOR} s)`);
}

runProcess('tollgate-runner', () => main(process.env));
