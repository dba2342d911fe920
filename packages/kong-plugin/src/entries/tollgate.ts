// The module kong-js-pluginserver loads for the `tollgate` plugin (bundled to
// dist/kong/tollgate/tollgate.js): access and log phases only, so Kong keeps streaming responses.
import { patchKongPdkEventLeak } from '../event-leak.js';
import { PRIORITY, SCHEMA, TOLLGATE, VERSION } from '../plugin-info.js';

patchKongPdkEventLeak();

export { Plugin } from '../tollgate-plugin.js';
export { TOLLGATE as Name, PRIORITY as Priority, SCHEMA as Schema, VERSION as Version };
