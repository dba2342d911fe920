// A test harness that plays Kong's side of the external-plugin protocol against the real
// kong-js-pluginserver process. Test and benchmark tooling, not part of the plugin bundle.
export { KongHarness, echoUpstream } from './kong-harness.js';
export type { KongHarnessOptions, KongResponse, RequestOptions, Upstream, UpstreamResponse } from './kong-harness.js';
export type { ClientRequest, KongConsumer, KongCredential, KongRoute, UpstreamRequest } from './kong-request.js';
export type { EventResult, EventTrace, PluginRow } from './kong-worker.js';
export { instanceConfig } from './kong-worker.js';
export { PLUGIN_SERVER_BIN, WITHOUT_TYPESCRIPT_PRELOAD, PluginDiscoveryError, PluginServerProcess, queryPluginInfo } from './plugin-server.js';
export type { PluginInfo } from './plugin-server.js';
export { RpcClient, RpcTransportError, encodeRequest } from './rpc-client.js';
export { writeFixturePlugin } from './fixture-plugins.js';
export type { FixturePlugin } from './fixture-plugins.js';
