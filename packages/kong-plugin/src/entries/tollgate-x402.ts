// The module kong-js-pluginserver loads for the `tollgate-x402` plugin (bundled to
// dist/kong/tollgate-x402/tollgate-x402.js): the response phase settles x402 payments before the
// client sees the answer, at the price of buffered proxying on the routes it guards.
import { patchKongPdkEventLeak } from '../event-leak.js';
import { PRIORITY, SCHEMA, TOLLGATE_X402, VERSION } from '../plugin-info.js';

patchKongPdkEventLeak();

export { X402Plugin as Plugin } from '../tollgate-plugin.js';
export { TOLLGATE_X402 as Name, PRIORITY as Priority, SCHEMA as Schema, VERSION as Version };
