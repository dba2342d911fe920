// `--kong-plugin lua` / `--apisix-plugin lua`: the native Lua adapters (packages/lua-adapters) with
// the Tollgate sidecar, one frame per request, instead of the JavaScript plugin or the ext-plugin
// runner. The policy's semantics are the same (the sidecar runs the same engine); what differs is
// where the gateway calls go. An x402 offer settles its payment before the client sees the answer,
// which needs a buffered response: such policies keep the existing plugins, and --explain says so.
import type { EngineConfig } from '../engine-config.js';
import type { ExplanationBuilder } from '../explain.js';

export const KONG_PLUGIN_KINDS = ['js', 'lua'] as const;
export type KongPluginKind = (typeof KONG_PLUGIN_KINDS)[number];
export const APISIX_PLUGIN_KINDS = ['runner', 'lua'] as const;
export type ApisixPluginKind = (typeof APISIX_PLUGIN_KINDS)[number];

/** The Kong plugin directory kong/plugins/tollgate-lua (`plugins = bundled,tollgate-lua`). */
export const KONG_LUA_PLUGIN = 'tollgate-lua';
/** apisix/plugins/tollgate.lua, loaded through `extra_lua_path`. */
export const APISIX_LUA_PLUGIN = 'tollgate';

/** The adapters' schema default for `timeout`: how long a request waits for the sidecar's answer (ms). */
export const LUA_DEFAULT_TIMEOUT_MS = 1000;
/** What the sidecar may need beyond the store's timeout to answer (reading, deciding, writing). */
const SIDECAR_MARGIN_MS = 500;

/**
 * The entry's `timeout` when the schema default would be too short: the adapter must wait out the
 * engine's store timeout, or it applies onFailure while the engine still decides (failing closed,
 * the admission then carries the adapter's deadline and is refused by the store after it).
 */
export function luaAdapterTimeout(config: EngineConfig): { timeout?: number } {
  const needed = (config.store.timeoutMs ?? 0) + SIDECAR_MARGIN_MS;
  return needed > LUA_DEFAULT_TIMEOUT_MS ? { timeout: needed } : {};
}

/** Whether this policy runs on the Lua adapter `plugin`, with the reason in the explanation either way when it was asked for. */
export function usesLuaAdapter(config: EngineConfig, requested: boolean, plugin: string, fallback: string, explain: ExplanationBuilder): boolean {
  if (!requested) return false;
  if (config.payment?.x402 !== undefined) {
    explain.tollgate(
      'Lua adapter not used',
      `the x402 offer settles before the response reaches the client, which needs a buffered response: this policy keeps ${fallback}`,
    );
    return false;
  }
  const afterResponse = config.costs.chargeOn === 'success' ? '; each charge completes from the log phase through a timer, so responses still stream' : '';
  explain.tollgate(`plugin ${plugin}`, `native Lua adapter: facts gathered in the gateway, one frame per request to the Tollgate sidecar over its unix socket${afterResponse}`);
  return true;
}
