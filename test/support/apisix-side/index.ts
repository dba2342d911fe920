// The APISIX side of the ext-plugin wire, for tests, benchmarks and smoke checks of a deployed
// runner: never used by the runner itself.
export { ApisixSide, type ApisixOutcome, type ApisixResponse, type ApisixRoute, type ApisixSideOptions, type ClientRequest, type ExtPlugin, type UpstreamAnswer } from './apisix-side.js';
export { FrameSocket, type Received } from './frame-socket.js';
export { TokenCache, LRU_TTL_MS, SHARED_DICT_TTL_MS } from './token-cache.js';
export * from './http-model.js';
export * as apisixCodec from './apisix-codec.js';
export { ipBytes } from './ip-bytes.js';
