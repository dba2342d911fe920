// The module kong-js-pluginserver loads for the `tollgate-x402` plugin (bundled to
// dist/kong/tollgate-x402/tollgate-x402.js): the response phase settles x402 payments before the
// client sees the answer, at the price of buffered proxying on the routes it guards.
import { pluginModule } from '../plugin-module.js';
import { X402Plugin } from '../tollgate-plugin.js';

export const { Name, Version, Priority, Schema, Plugin } = pluginModule(X402Plugin);
