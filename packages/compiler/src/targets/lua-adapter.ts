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
