// EngineConfig values for the APISIX runner suites, as the compiler would put them in
// `ext-plugin-post-req.conf[].value`, and routes of the compiled examples.
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ApisixRoute } from './apisix-side/index.js';
import { compile } from '../../packages/compiler/src/index.js';
import { loadFolder, REPO } from '../../packages/compiler/src/test-support/projects.js';
import type { EngineConfig } from '../../packages/engine/src/index.js';

export function weatherConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return {
    version: 1,
    policy: 'weather',
    routes: [
      { name: 'forecast', paths: ['/v1/forecast'], methods: ['GET'] },
      { name: 'history', paths: ['/v1/history'], methods: ['GET'] },
    ],
    identity: { auth: 'key-auth', limitBy: 'consumer' },
    plans: [
      { name: 'free', plan: { rateLimit: { minute: 3 }, routes: ['forecast'] } },
      { name: 'pro', plan: { rateLimit: { minute: 100 } } },
    ],
    defaultPlan: 'free',
    consumerPlans: { alice: 'pro' },
    costs: {},
    rewrite: { request: { headers: { set: { 'X-Plan': '{{plan}}' }, remove: ['Cookie'] }, query: { rename: { userId: 'user_id' } } } },
    store: { kind: 'memory' },
    ...overrides,
  };
}

export function tollgateRoute(id: string, config: EngineConfig, extra: { allowDegradation?: boolean; version?: string } = {}) {
  return { id, conf: [{ name: 'tollgate', value: JSON.stringify(config) }], ...extra };
}

interface CompiledPlugins {
  readonly [name: string]: { readonly conf?: { name: string; value: string }[]; readonly allow_degradation?: boolean; readonly uri?: string; readonly regex_uri?: [string, string] } | undefined;
}

/**
 * A route of an example policy folder compiled for APISIX (standalone), as the harness plays it:
 * the service's plugins under the route's own, Tollgate's ext-plugin and proxy-rewrite as emitted.
 */
export function compiledApisixRoute(folder: string, routeId: string): ApisixRoute {
  const result = compile(loadFolder(join(REPO, folder)), 'apisix', { mode: 'full', kongEdition: 'oss', apisixFormat: 'standalone' });
  const file = result.ok ? result.files.find((f) => f.name === 'apisix.yaml') : undefined;
  if (file === undefined) throw new Error(`${folder} compiled to no apisix.yaml: ${JSON.stringify(result)}`);
  const yaml = parse(file.text.replace(/#END\s*$/, '')) as { services: { id: string; plugins?: CompiledPlugins }[]; routes: { id: string; service_id?: string; plugins?: CompiledPlugins }[] };
  const route = yaml.routes.find((r) => r.id === routeId);
  if (route === undefined) throw new Error(`${folder} has no APISIX route ${routeId}`);
  const service = yaml.services.find((s) => s.id === route.service_id);
  const plugins: CompiledPlugins = { ...service?.plugins, ...route.plugins };
  const tollgate = plugins['ext-plugin-post-req'];
  const rewrite = plugins['proxy-rewrite'];
  return {
    id: routeId,
    plugin: 'ext-plugin-post-req',
    ...(tollgate?.conf && { conf: tollgate.conf }),
    allowDegradation: tollgate?.allow_degradation ?? false,
    ...(rewrite?.uri !== undefined && { proxyRewrite: { uri: rewrite.uri } }),
    ...(rewrite?.regex_uri !== undefined && { proxyRewrite: { regexUri: rewrite.regex_uri } }),
  };
}
