// APISIX 3.18's default HTTP router, radixtree_host_uri (apisix/http/router/radixtree_host_uri.lua
// over lua-resty-radixtree), for the routes the compiler emits: uris `<path>*`, optional methods and
// hosts. Routes with hosts come first: a radix tree of reversed hosts (an exact host before a
// `*.suffix`, the longer suffix first) whose every entry holds a tree of its routes' uris; only when
// none of those matches do the routes without hosts get their turn. In a uri tree `<path>*` is a
// plain prefix (`/v1/x*` matches `/v1/x`, `/v1/xy`, `/v1/x/y`), the longest prefix first, and routes
// with the same uri by priority (all 0 here: the policy's order). The host is nginx's $host
// (lower-cased, no port); hosts are compared as written, a `*` only as the first character.
import type { PathCandidate, RouteMatcher } from './route-matcher.js';

interface HostEntry {
  readonly host: string;
  readonly wildcard: boolean;
  /** Its routes' uris, the longest prefix first. */
  readonly candidates: readonly PathCandidate[];
}

const byLongestPrefix = (a: PathCandidate, b: PathCandidate): number => b.prefix.length - a.prefix.length || a.order - b.order;

export function compileApisixMatcher(paths: readonly PathCandidate[]): RouteMatcher {
  const hostless = paths.filter((c) => c.hosts === undefined).sort(byLongestPrefix);
  const byHost = new Map<string, PathCandidate[]>();
  for (const c of paths) for (const host of c.hosts ?? []) byHost.set(host, [...(byHost.get(host) ?? []), c]);
  const entries: HostEntry[] = [...byHost].map(([host, candidates]) => ({ host, wildcard: host.startsWith('*'), candidates: candidates.sort(byLongestPrefix) }));
  // Exact hosts first, then wildcards by the longer suffix (the deeper radix-tree prefix).
  entries.sort((a, b) => Number(a.wildcard) - Number(b.wildcard) || b.host.length - a.host.length);

  const inTree = (candidates: readonly PathCandidate[], method: string, path: string): string | undefined =>
    candidates.find((c) => path.startsWith(c.prefix) && (c.methods === undefined || c.methods.has(method)))?.name;

  return (method, path, host) => {
    const $host = host === undefined ? undefined : nginxHost(host);
    if ($host !== undefined) {
      for (const entry of entries) {
        if (!(entry.wildcard ? $host.endsWith(entry.host.slice(1)) : $host === entry.host)) continue;
        const found = inTree(entry.candidates, method, path);
        if (found !== undefined) return found;
      }
    }
    return inTree(hostless, method, path);
  };
}

/** nginx's $host from a Host header: lower-cased, without the port (IPv6 brackets kept). */
function nginxHost(header: string): string {
  const lower = header.toLowerCase();
  const end = lower.startsWith('[') ? lower.indexOf(']') + 1 : lower.indexOf(':');
  return end > 0 ? lower.slice(0, end) : lower;
}
