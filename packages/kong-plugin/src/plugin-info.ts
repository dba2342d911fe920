// What Kong learns from the query command (--dump-all-plugins): name, version, priority and the
// Lua-style schema (the same for both plugins built from this package) of the plugin's `config` record, which kong-pdk wraps as
// { name, fields: [{ config: { type: "record", fields: Schema } }] }.

/** Every policy without an x402 offer: access and log phases, so Kong streams the response. */
import type { EngineConfig } from '@tollgate/engine';

export const TOLLGATE = 'tollgate';
/** Policies with an x402 offer: adds the response phase (buffered proxying) to settle first. */
export const TOLLGATE_X402 = 'tollgate-x402';
export type PluginName = typeof TOLLGATE | typeof TOLLGATE_X402;
export const PLUGIN_NAMES: readonly PluginName[] = [TOLLGATE, TOLLGATE_X402];

/** The plugin a policy needs: buffered proxying only where an x402 settlement needs it. */
export const pluginNameFor = (config: Pick<EngineConfig, 'payment'>): PluginName => (config.payment?.x402 === undefined ? TOLLGATE : TOLLGATE_X402);

/** Kept equal to package.json's version (a test checks it); Kong requires x.y.z. */
export const VERSION = '0.1.0';

/**
 * After every authentication plugin (key-auth 1250, jwt 1450, basic-auth 1100, hmac-auth 1030),
 * ip-restriction (990), request-size-limiting (951), acl (950) and Kong's own rate-limiting (910),
 * so the consumer is known and requests those plugins reject never spend quota or credits; before
 * response-ratelimiting (900) and request-transformer (801).
 */
export const PRIORITY = 905;

/**
 * Exactly what the compiler emits into a decK `tollgate` or `tollgate-x402` plugin entry: the policy's resolved
 * EngineConfig as a JSON string, and optionally the policy route this entry guards (one entry per
 * route, needed when the policy attaches to existing routes that have no paths).
 */
export const SCHEMA = [
  { policy: { type: 'string', required: true, len_min: 2, description: 'The resolved Tollgate policy (EngineConfig JSON), emitted by `tollgate compile --target kong`.' } },
  { route: { type: 'string', required: false, description: 'The policy route this plugin entry guards; unset: matched from method, host and path.' } },
] as const;
