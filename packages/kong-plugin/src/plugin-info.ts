// What Kong learns from the query command (--dump-all-plugins): name, version, priority and the
// Lua-style schema (the same for every plugin built from this package) of the plugin's `config`
// record, which kong-pdk wraps as { name, fields: [{ config: { type: "record", fields: Schema } }] }.
import { entryResponseWork, type EngineConfig, type ResponseWork } from '@tollgate/engine';

/** Every policy with nothing to do after the response: the access phase only. */
export const TOLLGATE = 'tollgate';
/** `chargeOn: success` without an x402 offer: adds the log phase, which commits or gives back each charge. */
export const TOLLGATE_CHARGE_ON_SUCCESS = 'tollgate-charge-on-success';
/**
 * Policies with an x402 offer, and metered routes whose cost is in the response body: adds the
 * response phase (buffered proxying), where the upstream's whole answer is at hand before the client gets it.
 */
export const TOLLGATE_X402 = 'tollgate-x402';
export type PluginName = typeof TOLLGATE | typeof TOLLGATE_CHARGE_ON_SUCCESS | typeof TOLLGATE_X402;
/** From the fewest phases to the most: each plugin runs every policy the ones before it run. */
export const PLUGIN_NAMES: readonly PluginName[] = [TOLLGATE, TOLLGATE_CHARGE_ON_SUCCESS, TOLLGATE_X402];

/**
 * The plugin an entry of a policy needs, pinned to `route` or to none (then it may price any of the
 * policy's routes). Kong calls every phase a plugin has on every request it guards (a log phase
 * costs each request one more round trip to the plugin server, and Kong a timer and a snapshot of
 * the request), and a response phase makes Kong buffer the responses: an entry gets only the
 * phases its work after the response needs.
 */
export function pluginNameFor(config: Pick<EngineConfig, 'payment' | 'costs' | 'routes'>, route?: string): PluginName {
  return PLUGIN_FOR_WORK[entryResponseWork(config, route).work];
}

/** The response phase sees the upstream's whole answer first (buffered proxying); the log phase runs after it was sent. */
export const PLUGIN_FOR_WORK: Readonly<Record<ResponseWork['work'], PluginName>> = { none: TOLLGATE, after: TOLLGATE_CHARGE_ON_SUCCESS, 'whole-response': TOLLGATE_X402 };

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
 * Exactly what the compiler emits into a decK entry of any of these plugins: the policy's resolved
 * EngineConfig as a JSON string, and optionally the policy route this entry guards (one entry per
 * route, needed when the policy attaches to existing routes that have no paths).
 */
export const SCHEMA = [
  { policy: { type: 'string', required: true, len_min: 2, description: 'The resolved Tollgate policy (EngineConfig JSON), emitted by `tollgate compile --target kong`.' } },
  { route: { type: 'string', required: false, description: 'The policy route this plugin entry guards; unset: matched from method, host and path.' } },
] as const;
