// The subset of the decK file format (_format_version "3.0") that Tollgate emits. Key order in
// these objects is the key order of the YAML.
import { KONG_LUA_PLUGIN } from '../lua-adapter.js';

export interface KongPlugin {
  name: string;
  service?: string;
  route?: string;
  consumer?: string;
  consumer_group?: string;
  config: Record<string, unknown>;
  tags: string[];
}

export interface KongRoute {
  name: string;
  paths: string[];
  methods?: string[];
  hosts?: string[];
  strip_path: boolean;
  tags: string[];
}

export interface KongService {
  name: string;
  url: string;
  routes: KongRoute[];
  tags: string[];
}

export interface KongConsumer {
  username: string;
  custom_id?: string;
  keyauth_credentials?: { key: string }[];
  groups?: { name: string }[];
  tags: string[];
}

export interface KongConsumerGroup {
  name: string;
  tags: string[];
}

export interface KongDocument {
  _format_version: '3.0';
  _info?: { select_tags: string[] };
  services?: KongService[];
  consumers?: KongConsumer[];
  consumer_groups?: KongConsumerGroup[];
  plugins?: KongPlugin[];
}

/** decK's select tag: `deck gateway sync` reads and changes only entities that carry it. */
export const SELECT_TAG = 'tollgate';
export const policyTag = (policy: string): string => `tollgate-policy:${policy}`;

export { ANONYMOUS_CONSUMER } from '../../ir/engine-config.js';

/**
 * The Tollgate Kong plugins; all take the same config (the engine configuration as JSON) and differ
 * only in the phases Kong calls, each on every request it guards. `tollgate`: access only.
 */
export const TOLLGATE_PLUGIN = 'tollgate';
/** For policies that charge on success: adds a log phase to commit or give back each charge once the upstream answered. */
export const TOLLGATE_CHARGE_ON_SUCCESS_PLUGIN = 'tollgate-charge-on-success';
/**
 * For policies with an x402 offer: adds a response phase to settle the payment before the client
 * sees the answer, and Kong buffers every response where such a plugin runs.
 */
export const TOLLGATE_X402_PLUGIN = 'tollgate-x402';
/** All take the same config; tollgate-lua (the native adapter, `--kong-plugin lua`) too. */
export const TOLLGATE_PLUGINS: ReadonlySet<string> = new Set([TOLLGATE_PLUGIN, TOLLGATE_CHARGE_ON_SUCCESS_PLUGIN, TOLLGATE_X402_PLUGIN, KONG_LUA_PLUGIN]);
