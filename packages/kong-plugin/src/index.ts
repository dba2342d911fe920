// The package's public API. The modules Kong loads are src/entries/<plugin>.ts, one per plugin
// (Kong 3.9+ registers one plugin per plugin server).
export { Plugin, X402Plugin, InvalidPluginConfigError, X402_NEEDS_RESPONSE_PHASE, type PluginConfig } from './tollgate-plugin.js';
export { PLUGIN_NAMES, pluginNameFor, PRIORITY, SCHEMA, TOLLGATE, TOLLGATE_X402, VERSION, type PluginName } from './plugin-info.js';
