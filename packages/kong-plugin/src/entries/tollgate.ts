// The module kong-js-pluginserver loads for the `tollgate` plugin (bundled to
// dist/kong/tollgate/tollgate.js): the access phase only, so Kong keeps streaming responses and
// sends the plugin server nothing after them.
import type { KongPdk } from '../kong-pdk.js';
import { TOLLGATE } from '../plugin-info.js';
import { loadImplementation, pluginModule } from '../plugin-module.js';
import type { Plugin as TollgatePlugin, PluginConfig } from '../tollgate-plugin.js';

class Tollgate {
  static readonly pluginName = TOLLGATE;
  readonly #plugin: TollgatePlugin;

  constructor(config: PluginConfig) {
    this.#plugin = new (loadImplementation().Plugin)(config);
  }

  access(kong: KongPdk): Promise<void> {
    return this.#plugin.access(kong);
  }
}

export const { Name, Version, Priority, Schema, Plugin } = pluginModule(Tollgate);
