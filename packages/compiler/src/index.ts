export * as codes from './codes.js';
export { COMPILER_RULES } from './codes.js';
export { checkTargets, compile, TARGETS, type CompileResult } from './compile.js';
export { formatExplanations, type Lowered, type PolicyExplanation } from './explain.js';
export {
  APISIX_FORMATS,
  DEFAULT_OPTIONS,
  KONG_EDITIONS,
  MODES,
  TARGET_NAMES,
  type ApisixFormat,
  type CompileOptions,
  type InventoryItem,
  type KongEdition,
  type Mode,
  type OutputFile,
  type TargetName,
} from './targets/target.js';
export { APISIX_LUA_PLUGIN, APISIX_PLUGIN_KINDS, KONG_LUA_PLUGIN, KONG_PLUGIN_KINDS, LUA_DEFAULT_TIMEOUT_MS, type ApisixPluginKind, type KongPluginKind } from './targets/lua-adapter.js';
export { ANONYMOUS_CONSUMER, SELECT_TAG, TOLLGATE_CHARGE_ON_SUCCESS_PLUGIN, TOLLGATE_PLUGIN, TOLLGATE_PLUGINS, TOLLGATE_X402_PLUGIN } from './targets/kong/model.js';
export { diffProjects, type Change, type DiffResult, type PlanRow } from './diff/diff.js';
export { diffMarkdown, diffText, type DiffReport } from './diff/format.js';
export { buildIr, type IrResult } from './ir/build-ir.js';
