// What kong-pdk reads from a plugin module (lib/mod.js): Name, Version, Priority, Schema, and the
// Plugin class whose methods are the phases Kong will call. Each src/entries/<plugin>.ts is this
// module for one plugin class; bundled, it is the file kong-js-pluginserver loads.
// kong-js-pluginserver requires the module before it listens, and Kong's query command
// (--dump-all-plugins) loads it for these values alone, so the module defers the engine (ajv,
// ioredis, prom-client, @x402/core, …; see loadImplementation): each entry's class forwards its
// phases to the real plugin (tollgate-plugin.ts), constructed at StartInstance.
import { patchKongPdkEventLeak } from './event-leak.js';
import { PRIORITY, SCHEMA, VERSION, type PluginName } from './plugin-info.js';
import type * as Implementation from './tollgate-plugin.js';

export interface PluginModule<P> {
  readonly Name: PluginName;
  readonly Version: string;
  readonly Priority: number;
  readonly Schema: typeof SCHEMA;
  readonly Plugin: P;
}

/**
 * Once the plugin server listens, the engine loads in the background, so that the first
 * StartInstance does not wait for it; the timer does not keep a query command (which exits once
 * it printed the plugin's info) alive.
 */
const LOAD_IN_BACKGROUND_AFTER_MS = 100;

export function pluginModule<P extends { readonly pluginName: PluginName }>(plugin: P): PluginModule<P> {
  patchKongPdkEventLeak();
  setTimeout(loadImplementation, LOAD_IN_BACKGROUND_AFTER_MS).unref();
  return { Name: plugin.pluginName, Version: VERSION, Priority: PRIORITY, Schema: SCHEMA, Plugin: plugin };
}

/**
 * The plugin classes and everything they import. scripts/bundle.mjs bundles each entry into
 * CommonJS, where esbuild turns this require() of an ES module into a lazy initialiser: that code
 * runs at the first call, not when kong-js-pluginserver loads the file. Only the bundle calls it
 * (the ES module build has no `require`).
 */
export function loadImplementation(): typeof Implementation {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous, deferred load (StartInstance constructs synchronously)
  return require('./tollgate-plugin.js') as typeof Implementation;
}
