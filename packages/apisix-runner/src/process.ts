// @tollgate/apisix-runner/process: what a process entry needs before it loads the engine (the
// runner's and the sidecar's main.ts bind their socket first): the stderr logger, settings from the
// environment, signal handling and the held listening socket. Nothing here imports the engine.
export { positiveNumber, processLogger, runProcess, serveOnceLoaded, type CloseServing } from './runner/process.js';
export { listenAndHold, type HeldListener } from './runner/unix-socket.js';
export type { Logger } from './runner/log.js';
