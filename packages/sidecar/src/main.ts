// The sidecar process: `tollgate-sidecar` (or `node dist/tollgate-sidecar.js`), started next to
// Kong or APISIX by the deployment (a systemd unit, a container in the same pod, APISIX's
// ext-plugin.cmd). It listens on TOLLGATE_SIDECAR_SOCKET, answers the Lua adapters, and on
// SIGTERM answers what it received before exiting.
// The socket is bound before the engine and its dependencies load (a restarted sidecar, or one
// APISIX starts on a reload, accepts at once; what the adapters send waits until it is ready), so
// nothing imported statically here may load the engine.
import { listenAndHold, positiveNumber, processLogger, runProcess, serveOnceLoaded } from '@tollgate/apisix-runner/process';
import { DEFAULT_MAX_FRAME_BYTES } from './protocol/wire.js';

// Adapters re-register a token the sidecar forgot, so this only bounds memory for configs gone.
const DEFAULT_CONF_TTL_SECONDS = 24 * 3600;
const SHUTDOWN_GRACE_MS = 800;
const SOCKET_MODE = 0o766;

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const log = processLogger(env);
  const socketPath = env.TOLLGATE_SIDECAR_SOCKET ?? '';
  if (socketPath === '') {
    log.error('TOLLGATE_SIDECAR_SOCKET is not set (the unix socket path the Lua adapters connect to)');
    process.exitCode = 1;
    return;
  }
  await serveOnceLoaded(log, () => listenAndHold(socketPath, SOCKET_MODE), async (listener) => {
    const [{ createRuntime }, { routerFromEnv }, { SidecarHandler }, { startSidecarServer }] = await Promise.all([
      import('@tollgate/engine'),
      import('@tollgate/kong-plugin'),
      import('./sidecar/handler.js'),
      import('./sidecar/server.js'),
    ]);
    // Kong's router flavour (TOLLGATE_KONG_ROUTER_FLAVOR) for Kong's unpinned entries; APISIX registrations match as APISIX.
    const runtime = createRuntime({ env, router: routerFromEnv(env), onError: (message) => { log.error(message); } });
    const server = await startSidecarServer({
      socketPath,
      listener,
      handler: new SidecarHandler(runtime, log, positiveNumber(env.TOLLGATE_SIDECAR_CONF_TTL, DEFAULT_CONF_TTL_SECONDS) * 1000),
      maxFrameBytes: positiveNumber(env.TOLLGATE_MAX_FRAME_BYTES, DEFAULT_MAX_FRAME_BYTES),
      log,
    });
    return (sinceSignalMs) => server.close(SHUTDOWN_GRACE_MS - sinceSignalMs).then(() => runtime.close());
  });
  log.info(`listening on unix:${socketPath}`);
}

runProcess('tollgate-sidecar', () => main(process.env));
