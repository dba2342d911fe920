// The compiler's own check of a decK document before it is written: what decK's JSON Schema
// cannot see (plugin configs, references, duplicates, OSS limits). Tests also run decK's schema.
import { checkRecord } from '../../check/record.js';
import type { KongEdition, Mode } from '../target.js';
import type { KongDocument, KongPlugin } from './model.js';
import { TOLLGATE_PLUGINS } from './model.js';
import { pluginFields, rateLimitingEntityChecks } from './plugin-schemas.js';

/** Kong's utf8_name (ASCII part) for services, routes and consumer groups. */
const UTF8_NAME = /^[A-Za-z0-9._~-]+$/;
/** Kong tags: printable ASCII without "," and "/". */
const TAG = /^[\x20-\x2b\x2d-\x2e\x30-\x7e]+$/;
/** Plugins Kong refuses on a consumer. */
const NOT_CONSUMER_SCOPED = new Set(['key-auth', 'acl']);

export function validateKong(doc: KongDocument, edition: KongEdition, mode: Mode): string[] {
  const problems: string[] = [];
  const duplicates = (what: string, names: readonly string[]): void => {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) problems.push(`${what} "${n}" is defined twice`);
      seen.add(n);
    }
  };
  const services = doc.services ?? [];
  const routes = services.flatMap((s) => s.routes);
  const consumers = (doc.consumers ?? []).map((c) => c.username);
  const groups = (doc.consumer_groups ?? []).map((g) => g.name);
  duplicates('service', services.map((s) => s.name));
  duplicates('route', routes.map((r) => r.name));
  duplicates('consumer', consumers);
  duplicates('consumer group', groups);
  for (const name of [...services.map((s) => s.name), ...routes.map((r) => r.name), ...groups]) {
    if (!UTF8_NAME.test(name)) problems.push(`name "${name}" is not a valid Kong name`);
  }
  const allTags = [...services, ...routes, ...(doc.consumers ?? []), ...(doc.consumer_groups ?? []), ...(doc.plugins ?? [])].flatMap((e) => e.tags);
  for (const tag of new Set(allTags)) if (!TAG.test(tag)) problems.push(`tag "${tag}" has characters Kong refuses`);
  if (edition === 'oss' && (doc.consumer_groups || doc.consumers?.some((c) => c.groups))) problems.push('consumer groups need Kong Enterprise');

  const known = { service: new Set(services.map((s) => s.name)), route: new Set(routes.map((r) => r.name)), consumer: new Set(consumers), consumer_group: new Set(groups) };
  const scopes = new Set<string>();
  for (const [i, plugin] of (doc.plugins ?? []).entries()) {
    const at = `plugins[${i}] (${plugin.name})`;
    problems.push(...checkPlugin(plugin, edition, at));
    for (const ref of ['service', 'route', 'consumer', 'consumer_group'] as const) {
      const target = plugin[ref];
      // Overlay plugins name services and routes of the file they are merged into.
      const external = mode === 'overlay' && (ref === 'service' || ref === 'route');
      if (target !== undefined && !external && !known[ref].has(target)) problems.push(`${at}: ${ref} "${target}" is not in the file`);
    }
    const scope = JSON.stringify([plugin.name, plugin.service, plugin.route, plugin.consumer, plugin.consumer_group]);
    if (scopes.has(scope)) problems.push(`${at}: a second ${plugin.name} plugin on the same scope`);
    scopes.add(scope);
  }
  return problems;
}

function checkPlugin(plugin: KongPlugin, edition: KongEdition, at: string): string[] {
  const fields = pluginFields(plugin.name, edition);
  if (!fields) return [`${at}: Tollgate does not emit plugin ${plugin.name}`];
  const problems = checkRecord(plugin.config, fields, `${at}.config`);
  if (plugin.name === 'rate-limiting') problems.push(...rateLimitingEntityChecks(plugin.config, `${at}.config`));
  if (TOLLGATE_PLUGINS.has(plugin.name) && !isJsonObject(plugin.config.policy)) problems.push(`${at}.config.policy: must be a JSON object`);
  if (NOT_CONSUMER_SCOPED.has(plugin.name) && plugin.consumer !== undefined) problems.push(`${at}: Kong does not allow ${plugin.name} on a consumer`);
  if (edition === 'oss' && plugin.consumer_group !== undefined) problems.push(`${at}: consumer_group scope needs Kong Enterprise`);
  return problems;
}

function isJsonObject(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
