// Request rewrites and parameter mapping, compiled once: header rename → remove → add (when
// absent) → set; query rename → remove → add (when absent); path. The result is a plain
// UpstreamRewrite the adapters apply (removals before sets).
import type { Rewrite } from '@tollgate/policy/schema';
import type { UpstreamRewrite } from '../types.js';
import { first } from '../compile/identity.js';
import { parseTemplate, type Template, type TemplateContext } from './template.js';

export type ApplyRewrite = (context: TemplateContext) => UpstreamRewrite;

/** `apply` is undefined when the policy rewrites nothing: every request goes upstream as NO_REWRITE. */
export type RewriteCompile = { readonly ok: true; readonly apply: ApplyRewrite | undefined } | { readonly ok: false; readonly errors: readonly string[] };

export const NO_REWRITE: UpstreamRewrite = Object.freeze({ setHeaders: {}, removeHeaders: [], setQuery: {}, removeQuery: [] });

export function compileRewrite(rewrite: Rewrite | undefined): RewriteCompile {
  const request = rewrite?.request;
  if (request === undefined) return { ok: true, apply: undefined };
  const errors: string[] = [];
  const templates = (where: string, map: Readonly<Record<string, string>> | undefined): [string, Template][] =>
    Object.entries(map ?? {}).flatMap(([name, source]) => {
      const parsed = parseTemplate(source);
      if (parsed.ok) return [[name, parsed.template] as [string, Template]];
      errors.push(`/rewrite/request/${where}/${name}: ${parsed.error}`);
      return [];
    });
  const headers = request.headers;
  const headerRenames = Object.entries(headers?.rename ?? {}).map(([from, to]) => [from.toLowerCase(), to] as const);
  const headerRemoves = (headers?.remove ?? []).map((h) => h.toLowerCase());
  const headerAdds = templates('headers/add', headers?.add);
  const headerSets = templates('headers/set', headers?.set);
  const query = request.query;
  const queryRenames = Object.entries(query?.rename ?? {});
  const queryRemoves = query?.remove ?? [];
  const queryAdds = templates('query/add', query?.add);
  let path: Template | undefined;
  if (request.path !== undefined) {
    const parsed = parseTemplate(request.path);
    if (parsed.ok) path = parsed.template;
    else errors.push(`/rewrite/request/path: ${parsed.error}`);
  }
  if (errors.length > 0) return { ok: false, errors };
  const readsHeaders = headerRenames.length > 0 || headerAdds.length > 0;
  const readsArgs = queryRenames.length > 0 || queryAdds.length > 0;

  const apply: ApplyRewrite = (context) => {
    const { facts } = context;
    const setHeaders: Record<string, string> = {};
    const removeHeaders: string[] = [];
    // Only renames and adds read the request's headers (or args): a policy that only sets or
    // removes never makes an adapter decode them.
    const present = readsHeaders ? new Set(Object.keys(facts.headers)) : undefined;
    for (const [from, to] of headerRenames) {
      const value = facts.headers[from];
      if (value === undefined) continue;
      setHeaders[to] = typeof value === 'string' ? value : value.join(', ');
      removeHeaders.push(from);
      present?.delete(from);
      present?.add(to.toLowerCase());
    }
    for (const name of headerRemoves) {
      removeHeaders.push(name);
      present?.delete(name);
    }
    for (const [name, template] of headerAdds) if (present?.has(name.toLowerCase()) !== true) setHeaders[name] = template.render(context);
    for (const [name, template] of headerSets) setHeaders[name] = template.render(context);

    const setQuery: Record<string, string> = {};
    const removeQuery: string[] = [];
    const args = readsArgs ? new Set(Object.keys(facts.query)) : undefined;
    for (const [from, to] of queryRenames) {
      const value = facts.query[from];
      if (value === undefined) continue;
      setQuery[to] = first(value) ?? '';
      removeQuery.push(from);
      args?.delete(from);
      args?.add(to);
    }
    for (const name of queryRemoves) {
      removeQuery.push(name);
      args?.delete(name);
    }
    for (const [name, template] of queryAdds) if (args?.has(name) !== true) setQuery[name] = template.render(context);
    const rewritten = path?.render(context, encodeURIComponent);
    return rewritten === undefined
      ? { setHeaders, removeHeaders, setQuery, removeQuery }
      : { setHeaders, removeHeaders, setQuery, removeQuery, path: rewritten };
  };
  return { ok: true, apply };
}
