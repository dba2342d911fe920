// @tollgate/apisix-runner: the Tollgate runner for APISIX's ext-plugin protocol. The process entry
// is main.ts (bundled to build/tollgate-runner.js); this module exposes its parts for embedding,
// tests and benchmarks. The APISIX side of the wire is test support (test/support/apisix-side).
export { startRunnerServer, parseListenAddress, DEFAULT_MAX_PAYLOAD_BYTES, RUNNER_SOCKET_MODE, type RunnerServer, type RunnerServerOptions } from './runner/server.js';
export { listenAndHold, type HeldListener } from './runner/unix-socket.js';
export { closeOnSignals, positiveNumber, processLogger, runProcess, serveOnceLoaded } from './runner/process.js';
export { noActionHandler, type CallContext, type CallHandler, type Prepared } from './runner/handler.js';
export { ConfCache, TTL_FACTOR } from './runner/conf-cache.js';
export { isLogLevel, streamLogger, silentLogger, type Logger, type LogLevel } from './runner/log.js';
export { createTollgateHandler, PLUGIN_NAME, type TollgateConf } from './tollgate/handler.js';
export { toFacts, formatIp } from './tollgate/facts.js';
export { toAction } from './tollgate/action.js';
export { encodeFrame, encodeTextFrame, FrameReader, FrameTooLargeError, type Frame } from './protocol/frame.js';
export { ErrorCode, ERROR_MESSAGES, HEADER_BYTES, MAX_PAYLOAD_BYTES, RpcType } from './protocol/rpc.js';
export * from './protocol/messages.js';
export * as runnerCodec from './protocol/runner-codec.js';
