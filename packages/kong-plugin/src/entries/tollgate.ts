// The module kong-js-pluginserver loads for the `tollgate` plugin (bundled to
// dist/kong/tollgate/tollgate.js): the access phase only, so Kong keeps streaming responses and
// sends the plugin server nothing after them.
import { pluginModule } from '../plugin-module.js';
import { Plugin as TollgatePlugin } from '../tollgate-plugin.js';

export const { Name, Version, Priority, Schema, Plugin } = pluginModule(TollgatePlugin);
