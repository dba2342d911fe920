// The package's public API. The modules Kong loads are src/entries/<plugin>.ts, one per plugin
// (Kong 3.9+ registers one plugin per plugin server).
export {
  Plugin,
  ChargeOnSuccessPlugin,
  X402Plugin,
  InvalidPluginConfigError,
  routerFromEnv,
  CHARGE_ON_SUCCESS_NEEDS_LOG_PHASE,
  X402_NEEDS_RESPONSE_PHASE,
  METERED_BODY_NEEDS_RESPONSE_PHASE,
  METERED_NEEDS_LOG_PHASE,
  type PluginConfig,
} from './tollgate-plugin.js';
export {
  PLUGIN_NAMES,
  pluginNameFor,
  PRIORITY,
  SCHEMA,
  TOLLGATE,
  TOLLGATE_CHARGE_ON_SUCCESS,
  TOLLGATE_X402,
  VERSION,
  type PluginName,
} from './plugin-info.js';
// Shared with @tollgate/sidecar, whose Lua adapters gather the same facts in-process.
export { planFacts, type FactPlan } from './request-facts.js';
export { parseQuery } from './request-line.js';
export { rewriteQuery } from './apply-decision.js';
