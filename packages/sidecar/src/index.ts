// @tollgate/sidecar: the decision sidecar of the native Lua adapters (lua/ in this package). The
// process entry is main.ts (bundled to dist/tollgate-sidecar.js); this module exposes its parts
// for tests and benchmarks.
export { SidecarHandler, headersRead, X402_NEEDS_BUFFERING, type Answer } from './sidecar/handler.js';
export { startSidecarServer, type SidecarServer, type SidecarServerOptions, type SidecarStats } from './sidecar/server.js';
export { DEFAULT_MAX_FRAME_BYTES, FrameType, parseRequest, type DecideRequest, type RegisterRequest, type CompleteRequest, type Request } from './protocol/wire.js';
