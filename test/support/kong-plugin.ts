// One of the Tollgate Kong plugins (`tollgate`, `tollgate-charge-on-success` or `tollgate-x402`),
// bundled fresh from source for a test file, behind the Kong-side harness; plus the mapping from a
// conformance-vector request to what key-auth hands Kong.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANONYMOUS_CONSUMER } from '../../packages/compiler/src/index.js';
import type { EngineConfig } from '../../packages/engine/src/index.js';
import { bundlePlugin } from '../../packages/kong-plugin/scripts/bundle.mjs';
import { TOLLGATE, type PluginName } from '../../packages/kong-plugin/src/plugin-info.js';
import { KongHarness, type ClientRequest, type KongHarnessOptions, type PluginRow } from './kong-harness/index.js';

type PluginScope = Parameters<KongHarness['plugin']>[1];

export interface TollgateKong {
  readonly kong: KongHarness;
  /** A plugin row carrying this EngineConfig (a new __seq__ each call); `scope` gives it its own entry id, route, …. */
  row(config: EngineConfig, extra?: Record<string, unknown>, scope?: PluginScope): PluginRow;
  close(): Promise<void>;
}

export interface TollgateKongOptions extends Omit<KongHarnessOptions, 'pluginsDir'> {
  /** Which plugin the harness runs: `tollgate` unless given. */
  readonly plugin?: PluginName;
}

export async function startTollgateKong({ plugin = TOLLGATE, ...options }: TollgateKongOptions = {}): Promise<TollgateKong> {
  const buildDir = mkdtempSync(join(tmpdir(), 'tollgate-kong-bundle-'));
  const pluginsDir = await bundlePlugin(buildDir, plugin);
  const kong = await KongHarness.start({ ...options, pluginsDir });
  return {
    kong,
    row: (config, extra = {}, scope = {}) => kong.plugin({ policy: JSON.stringify(config), route: null, ...extra }, scope),
    async close() {
      await kong.close();
      rmSync(buildDir, { recursive: true, force: true });
    },
  };
}

/** A client request after key-auth authenticated `username` (consumer id derived from it). */
export function authenticated(request: Omit<ClientRequest, 'consumer' | 'credential'>, username: string, credentialId = `cred-${username}`): ClientRequest {
  const id = `consumer-${username}`;
  return { ...request, consumer: { id, username }, credential: { id: credentialId, consumer: { id } } };
}

/** A caller without a key as key-auth with `anonymous` hands it on: the anonymous consumer and no credential. */
export function anonymous(request: Omit<ClientRequest, 'consumer' | 'credential'>): ClientRequest {
  return { ...request, consumer: { id: `consumer-${ANONYMOUS_CONSUMER}`, username: ANONYMOUS_CONSUMER } };
}
