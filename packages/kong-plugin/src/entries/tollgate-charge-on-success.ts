// The module kong-js-pluginserver loads for the `tollgate-charge-on-success` plugin (bundled to
// dist/kong/tollgate-charge-on-success/tollgate-charge-on-success.js): access, and log to commit
// or give back each chargeOn: success charge from the final status; responses keep streaming.
import { pluginModule } from '../plugin-module.js';
import { ChargeOnSuccessPlugin } from '../tollgate-plugin.js';

export const { Name, Version, Priority, Schema, Plugin } = pluginModule(ChargeOnSuccessPlugin);
