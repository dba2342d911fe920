import type { RuleInfo } from '@tollgate/policy';
// Diagnostic codes the compiler reports. Lint shows them next to the loader's and the rules' codes,
// so each names the target it is about.

/** Full mode creates services and routes: they need an upstream URL and paths. */
export const NEEDS_SERVICE_URL = 'compile-needs-service-url';
export const NEEDS_ROUTE_PATHS = 'compile-needs-route-paths';
/** A name the target gateway would refuse as an id or username. */
export const APISIX_NAME = 'apisix-invalid-name';
/** APISIX key-auth reads a single header (and query argument) name. */
export const APISIX_KEY_NAMES = 'apisix-single-key-name';
/** A standalone apisix.yaml consumer holds one key-auth key. */
export const APISIX_CONSUMER_KEYS = 'apisix-single-consumer-key';
/** A store.native setting APISIX's limit-count cannot honour is all that keeps fixed windows in Tollgate on APISIX. */
export const APISIX_NATIVE_REDIS = 'apisix-native-redis-setting';
/** Secrets go into gateway files as environment references only. */
export const INLINE_SECRET = 'compile-inline-secret';
/** The emitted configuration failed the compiler's own check: a compiler bug, reported, never written. */
export const OUTPUT_INVALID = 'compile-output-invalid';
/** The service URL cannot be split into scheme, host, port and path (or carries a query or credentials). */
export const INVALID_URL = 'compile-invalid-url';

/** The compiler's findings as lint lists them (SARIF rule list, README table). */
export const COMPILER_RULES: readonly RuleInfo[] = [
  { id: NEEDS_SERVICE_URL, severity: 'error', description: 'Full mode creates the service: it needs an upstream URL (or compile with --mode overlay).' },
  { id: NEEDS_ROUTE_PATHS, severity: 'error', description: 'Full mode creates the routes: they need paths (or compile with --mode overlay).' },
  { id: APISIX_NAME, severity: 'error', description: 'APISIX ids and consumer usernames allow letters, digits, - and _ only.' },
  { id: APISIX_KEY_NAMES, severity: 'error', description: 'APISIX key-auth reads one header name.' },
  { id: APISIX_CONSUMER_KEYS, severity: 'error', description: 'A standalone APISIX consumer holds one key-auth key.' },
  { id: APISIX_NATIVE_REDIS, severity: 'warn', description: 'A store.native setting APISIX limit-count has no field for (SNI; a username with a cluster) is all that keeps the fixed windows from limit-count: they stay in Tollgate on APISIX.' },
  { id: INLINE_SECRET, severity: 'error', description: 'Secrets reach gateway files only as environment references.' },
  { id: OUTPUT_INVALID, severity: 'error', description: 'The generated configuration failed its schema check (a compiler bug; nothing is written).' },
  { id: INVALID_URL, severity: 'error', description: 'The service URL must be scheme://host[:port][/path] without credentials or query.' },
];
