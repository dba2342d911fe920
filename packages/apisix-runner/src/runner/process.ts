// What the runner and the sidecar processes share around their server: the stderr logger, number
// settings from the environment, and the exit on SIGTERM/SIGINT after answering what was received.
import { isLogLevel, streamLogger, type Logger } from './log.js';
import type { HeldListener } from './unix-socket.js';

/** The process's logger at TOLLGATE_LOG_LEVEL (info when unset or unknown, with a warning). */
export function processLogger(env: NodeJS.ProcessEnv): Logger {
  // A vanished reader of our output (the gateway gone) must not crash the process.
  process.stderr.on('error', () => undefined);
  const level = env.TOLLGATE_LOG_LEVEL ?? 'info';
  const log = streamLogger(isLogLevel(level) ? level : 'info');
  if (!isLogLevel(level)) log.warn(`TOLLGATE_LOG_LEVEL=${level} is not one of debug, info, warn, error; using info`);
  return log;
}

/** A positive number from the environment, or `fallback` when unset or not one. */
export function positiveNumber(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * Logs unhandled rejections instead of crashing, and on SIGTERM or SIGINT runs `close` (the
 * server's drain, then the runtime's) and exits 0.
 */
export function closeOnSignals(log: Logger, close: () => Promise<void>): void {
  process.on('unhandledRejection', (reason) => {
    log.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  });
  const stop = (signal: string) => {
    log.info(`${signal}: closing`);
    void close()
      .catch((error: unknown) => {
        log.error(`shutdown: ${String(error)}`);
      })
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => { stop('SIGTERM'); });
  process.once('SIGINT', () => { stop('SIGINT'); });
}

/** Closes what a process serves; `sinceSignalMs`: how long ago the signal came (it may come while loading). */
export type CloseServing = (sinceSignalMs: number) => Promise<void>;

/**
 * Binds the socket first (`listen`), then loads what answers on it (`load` imports the engine and
 * starts serving the held connections) and returns how to close it. SIGTERM/SIGINT is handled from
 * before the bind: one while binding or loading closes once loaded, so what was accepted is answered. If
 * loading fails, the connections accepted are refused and the path freed, so that the gateway
 * sees a runner that is not there.
 */
export async function serveOnceLoaded(log: Logger, listen: () => Promise<HeldListener>, load: (listener: HeldListener) => Promise<CloseServing>): Promise<void> {
  // Signal handlers run from the event loop, after `ready` below is set.
  closeOnSignals(log, async () => {
    const signalled = performance.now();
    const close = await ready;
    await close(performance.now() - signalled);
  });
  const ready = listen().then((listener) =>
    load(listener).catch((error: unknown) => {
      listener.serve((socket) => { socket.destroy(); });
      listener.server.close();
      throw error;
    }),
  );
  await ready;
}

/** Runs a process's `main`; a failure to start is one line on stderr and exit code 1. */
export function runProcess(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${name} error: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
