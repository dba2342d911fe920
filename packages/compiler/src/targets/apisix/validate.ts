// The compiler's own check of APISIX output before it is written: what APISIX would skip silently
// (unknown plugins, dangling references, duplicate ids) and the policy field its JSON Schema needs.
// Tests also run APISIX's own schemas (3.14.1 and 3.18.0) and ADC's.
import { APISIX_LUA_PLUGIN } from '../lua-adapter.js';
import { END_MARKER, TOLLGATE_EXT_PLUGIN, TOLLGATE_EXT_RESPONSE_PLUGIN, type AdcDocument, type ApisixRoute, type PluginMap, type StandaloneDocument } from './model.js';

export const EMITTED_PLUGINS = new Set(['key-auth', 'limit-count', 'proxy-rewrite', TOLLGATE_EXT_PLUGIN, TOLLGATE_EXT_RESPONSE_PLUGIN, APISIX_LUA_PLUGIN]);

/** APISIX ids and consumer usernames (schema_def.lua). */
export const APISIX_ID = /^[a-zA-Z0-9-_.]{1,64}$/;
export const APISIX_USERNAME = /^[a-zA-Z0-9_-]{1,256}$/;

function duplicates(what: string, values: readonly string[]): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const v of values) {
    if (seen.has(v)) problems.push(`${what} "${v}" is defined twice`);
    seen.add(v);
  }
  return problems;
}

function checkPlugins(plugins: PluginMap | undefined, at: string): string[] {
  const problems: string[] = [];
  for (const [name, conf] of Object.entries(plugins ?? {})) {
    if (!EMITTED_PLUGINS.has(name)) problems.push(`${at}: unknown plugin ${name}`);
    if (name === 'limit-count' && conf.policy === undefined) problems.push(`${at}: limit-count without an explicit policy`);
    if (name === 'limit-count' && conf.policy === 'redis' && typeof conf.redis_host !== 'string') problems.push(`${at}: limit-count with policy redis needs redis_host`);
  }
  return problems;
}

function checkRoutes(routes: readonly ApisixRoute[], at: (r: ApisixRoute) => string): string[] {
  return routes.flatMap((r) => [...checkPlugins(r.plugins, at(r)), ...(r.uris.length === 0 ? [`${at(r)}: no uris`] : [])]);
}

export function validateStandalone(doc: StandaloneDocument, text: string): string[] {
  const problems: string[] = [];
  if (!new RegExp(`${END_MARKER}\\s*$`).test(text.slice(-10))) problems.push(`the file does not end with ${END_MARKER}`);
  const serviceIds = doc.services.map((s) => s.id ?? '');
  const routeIds = doc.routes.map((r) => r.id ?? '');
  const usernames = (doc.consumers ?? []).map((c) => c.username);
  problems.push(...duplicates('service id', serviceIds), ...duplicates('route id', routeIds), ...duplicates('consumer', usernames));
  for (const id of [...serviceIds, ...routeIds]) if (!APISIX_ID.test(id)) problems.push(`id "${id}" is not a valid APISIX id`);
  for (const name of usernames) if (!APISIX_USERNAME.test(name)) problems.push(`username "${name}" is not a valid APISIX username`);
  const known = new Set(serviceIds);
  for (const r of doc.routes) if (r.service_id === undefined || !known.has(r.service_id)) problems.push(`route ${r.id ?? r.name}: service_id "${r.service_id ?? ''}" does not exist`);
  for (const s of doc.services) problems.push(...checkPlugins(s.plugins, `service ${s.id ?? s.name}`));
  problems.push(...checkRoutes(doc.routes, (r) => `route ${r.id ?? r.name}`));
  for (const c of doc.consumers ?? []) problems.push(...checkPlugins(c.plugins, `consumer ${c.username}`));
  return problems;
}

export function validateAdc(doc: AdcDocument): string[] {
  const problems = duplicates('service', doc.services.map((s) => s.name));
  problems.push(...duplicates('route', doc.services.flatMap((s) => s.routes.map((r) => `${s.name}.${r.name}`))));
  problems.push(...duplicates('consumer', (doc.consumers ?? []).map((c) => c.username)));
  for (const s of doc.services) problems.push(...checkPlugins(s.plugins, `service ${s.name}`), ...checkRoutes(s.routes, (r) => `service ${s.name} route ${r.name}`));
  return problems;
}
