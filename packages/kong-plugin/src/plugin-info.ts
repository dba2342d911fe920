// What Kong learns from the query command (--dump-all-plugins): name, version, priority and the
// Lua-style schema of the plugin's `config` record, which kong-pdk wraps as
// { name, fields: [{ config: { type: "record", fields: Schema } }] }.

export const NAME = 'tollgate';

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
 * Exactly what the compiler emits into the decK `tollgate` plugin entry: the policy's resolved
 * EngineConfig as a JSON string, and optionally the policy route this entry guards (one entry per
 * route, needed when the policy attaches to existing routes that have no paths).
 */
export const SCHEMA = [
  { policy: { type: 'string', required: true, len_min: 2, description: 'The resolved Tollgate policy (EngineConfig JSON), emitted by `tollgate compile --target kong`.' } },
  { route: { type: 'string', required: false, description: 'The policy route this plugin entry guards; unset: matched from method, host and path.' } },
] as const;
