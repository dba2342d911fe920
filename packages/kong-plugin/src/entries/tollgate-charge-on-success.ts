// The module kong-js-pluginserver loads for the `tollgate-charge-on-success` plugin (bundled to
// dist/kong/tollgate-charge-on-success/tollgate-charge-on-success.js): access, and log to commit
// or give back each chargeOn: success charge from the final status; responses keep streaming.
import type { KongPdk } from '../kong-pdk.js';
import { TOLLGATE_CHARGE_ON_SUCCESS } from '../plugin-info.js';
import { loadImplementation, pluginModule } from '../plugin-module.js';
import type { ChargeOnSuccessPlugin, PluginConfig } from '../tollgate-plugin.js';

class TollgateChargeOnSuccess {
  static readonly pluginName = TOLLGATE_CHARGE_ON_SUCCESS;
  readonly #plugin: ChargeOnSuccessPlugin;

  constructor(config: PluginConfig) {
    this.#plugin = new (loadImplementation().ChargeOnSuccessPlugin)(config);
  }

  access(kong: KongPdk): Promise<void> {
    return this.#plugin.access(kong);
  }

  log(kong: KongPdk): Promise<void> {
    return this.#plugin.log(kong);
  }
}

export const { Name, Version, Priority, Schema, Plugin } = pluginModule(TollgateChargeOnSuccess);
