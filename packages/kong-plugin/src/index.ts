// The module kong-js-pluginserver loads (bundled to dist/kong/tollgate/tollgate.js): the plugin
// class and the metadata Kong reads through the query command.
import { patchKongPdkEventLeak } from './event-leak.js';
import { NAME, PRIORITY, SCHEMA, VERSION } from './plugin-info.js';

patchKongPdkEventLeak();

export { Plugin, InvalidPluginConfigError, type PluginConfig } from './tollgate-plugin.js';
export { NAME as Name, PRIORITY as Priority, SCHEMA as Schema, VERSION as Version };
