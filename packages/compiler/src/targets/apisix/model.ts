// The subset of APISIX's standalone apisix.yaml and of ADC's format that Tollgate emits.

export type PluginMap = Record<string, Record<string, unknown>>;
export type Labels = Record<string, string>;

export interface UpstreamNode {
  host: string;
  port: number;
  weight: number;
}

/** Inline on the policy's service, as Kong's service carries its URL. */
export interface ApisixUpstream {
  type: 'roundrobin';
  scheme: 'http' | 'https';
  nodes: UpstreamNode[];
  /** Send the upstream's host, as Kong does by default (APISIX's default passes the client's). */
  pass_host: 'node';
}

/**
 * One per policy: the upstream and the plugins all of the policy's routes share. APISIX merges
 * them into each route that names the service; a route's own plugin of the same name wins.
 */
export interface ApisixService {
  id?: string;
  name: string;
  upstream: ApisixUpstream;
  plugins?: PluginMap;
  labels?: Labels;
}

export interface ApisixRoute {
  id?: string;
  name: string;
  uris: string[];
  methods?: string[];
  hosts?: string[];
  service_id?: string;
  /** Only the plugins that differ between the policy's routes (the rest sit on the service). */
  plugins?: PluginMap;
  labels?: Labels;
}

export interface ApisixConsumer {
  username: string;
  plugins?: PluginMap;
  credentials?: { name: string; type: 'key-auth'; config: { key: string } }[];
  labels?: Labels;
}

export interface StandaloneDocument {
  services: ApisixService[];
  routes: ApisixRoute[];
  consumers?: ApisixConsumer[];
}

/** ADC nests routes in their service and derives ids from names. */
export interface AdcService extends Omit<ApisixService, 'id'> {
  routes: ApisixRoute[];
}

export interface AdcDocument {
  services: AdcService[];
  consumers?: ApisixConsumer[];
}

/** The standalone loader reads a file only when its last bytes match #END. */
export const END_MARKER = '#END';

/** post-req runs in the access phase after key-auth, so the runner sees the authenticated consumer (pre-req runs before auth). */
export const TOLLGATE_EXT_PLUGIN = 'ext-plugin-post-req';
/**
 * post-resp lets the runner see the upstream status before the client does: needed to settle x402
 * payments only when the upstream answered < 400 and to keep credits only when it answered < 500.
 * APISIX then makes the upstream request itself (lua-resty-http), so it is emitted only when needed.
 */
export const TOLLGATE_EXT_RESPONSE_PLUGIN = 'ext-plugin-post-resp';
export const TOLLGATE_CONF_NAME = 'tollgate';
/** The runner conf entry naming the policy route APISIX matched (its value: the route's name). */
export const TOLLGATE_ROUTE_CONF_NAME = 'tollgate-route';

export const MANAGED_LABELS: Labels = { 'managed-by': 'tollgate' };
export const policyLabels = (policy: string): Labels => ({ ...MANAGED_LABELS, 'tollgate-policy': policy });

export { ANONYMOUS_CONSUMER } from '../../ir/engine-config.js';
