// The module kong-js-pluginserver loads for the `tollgate-x402` plugin (bundled to
// dist/kong/tollgate-x402/tollgate-x402.js): the response phase settles x402 payments before the
// client sees the answer, at the price of buffered proxying on the routes it guards.
import type { KongPdk } from '../kong-pdk.js';
import { TOLLGATE_X402 } from '../plugin-info.js';
import { loadImplementation, pluginModule } from '../plugin-module.js';
import type { PluginConfig, X402Plugin } from '../tollgate-plugin.js';

class TollgateX402 {
  static readonly pluginName = TOLLGATE_X402;
  readonly #plugin: X402Plugin;

  constructor(config: PluginConfig) {
    this.#plugin = new (loadImplementation().X402Plugin)(config);
  }

  access(kong: KongPdk): Promise<void> {
    return this.#plugin.access(kong);
  }

  log(kong: KongPdk): Promise<void> {
    return this.#plugin.log(kong);
  }

  response(kong: KongPdk): Promise<void> {
    return this.#plugin.response(kong);
  }
}

export const { Name, Version, Priority, Schema, Plugin } = pluginModule(TollgateX402);
