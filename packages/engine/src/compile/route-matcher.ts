// Which policy route a request is on, when the gateway did not say: method, host and the longest
// matching path prefix (ties go to the route listed first), compiled once per config.
import type { Route } from '@tollgate/policy/schema';

interface Candidate {
  readonly name: string;
  readonly prefix: string;
  readonly methods: ReadonlySet<string> | undefined;
  readonly hosts: readonly HostPattern[] | undefined;
}

type HostPattern = { readonly exact: string } | { readonly suffix: string } | { readonly prefix: string };

export type RouteMatcher = (method: string, path: string, host: string | undefined) => string | undefined;

export function compileRouteMatcher(routes: readonly Route[]): RouteMatcher {
  const candidates: Candidate[] = routes.flatMap((route) =>
    (route.paths ?? []).map((prefix) => ({
      name: route.name,
      prefix,
      methods: route.methods === undefined ? undefined : new Set(route.methods),
      hosts: route.hosts?.map(hostPattern),
    })),
  );
  // Longest prefix first; the sort is stable, so equal lengths keep the routes' order.
  candidates.sort((a, b) => b.prefix.length - a.prefix.length);
  // Most configs name no hosts: then the request's host is never normalised.
  const readsHost = candidates.some((c) => c.hosts !== undefined);
  return (method, path, host) => {
    const bareHost = host === undefined || !readsHost ? undefined : stripPort(host.toLowerCase());
    for (const c of candidates) {
      if (!path.startsWith(c.prefix) || !boundaryAt(path, c.prefix)) continue;
      if (c.methods !== undefined && !c.methods.has(method)) continue;
      if (c.hosts !== undefined && (bareHost === undefined || !c.hosts.some((h) => hostMatches(h, bareHost)))) continue;
      return c.name;
    }
    return undefined;
  };
}

/** `/v1/forecast` matches `/v1/forecast`, `/v1/forecast/x` and `/v1/forecast?…`, not `/v1/forecasts`. */
function boundaryAt(path: string, prefix: string): boolean {
  return path.length === prefix.length || prefix.endsWith('/') || path[prefix.length] === '/';
}

function hostPattern(host: string): HostPattern {
  const lower = host.toLowerCase();
  if (lower.startsWith('*')) return { suffix: lower.slice(1) };
  if (lower.endsWith('*')) return { prefix: lower.slice(0, -1) };
  return { exact: lower };
}

function hostMatches(pattern: HostPattern, host: string): boolean {
  if ('exact' in pattern) return host === pattern.exact;
  if ('suffix' in pattern) return host.endsWith(pattern.suffix) && host.length > pattern.suffix.length;
  return host.startsWith(pattern.prefix) && host.length > pattern.prefix.length;
}

function stripPort(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon > 0 && !host.endsWith(']') && /^\d+$/.test(host.slice(colon + 1)) ? host.slice(0, colon) : host;
}
