// What kong-pdk reads from a plugin module (lib/mod.js): Name, Version, Priority, Schema, and the
// Plugin class whose methods are the phases Kong will call. Each src/entries/<plugin>.ts is this
// module for one plugin class; bundled, it is the file kong-js-pluginserver loads.
import { patchKongPdkEventLeak } from './event-leak.js';
import { PRIORITY, SCHEMA, VERSION, type PluginName } from './plugin-info.js';
import type { Plugin } from './tollgate-plugin.js';

export interface PluginModule<P extends typeof Plugin> {
  readonly Name: PluginName;
  readonly Version: string;
  readonly Priority: number;
  readonly Schema: typeof SCHEMA;
  readonly Plugin: P;
}

export function pluginModule<P extends typeof Plugin>(plugin: P): PluginModule<P> {
  patchKongPdkEventLeak();
  return { Name: plugin.pluginName, Version: VERSION, Priority: PRIORITY, Schema: SCHEMA, Plugin: plugin };
}
