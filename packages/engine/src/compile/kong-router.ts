// Kong 3.9's two routers over the fields a policy route has (prefix paths, methods, hosts with `*`),
// as kong/router/traditional.lua and kong/router/transform.lua + atc.lua decide. Both match a path
// as a plain prefix of the normalized request path (`/v1/x` matches `/v1/xy` and `/v1/x;v=1`), a
// host as written (no case folding; a port in the Host header is ignored), and split a route into
// one candidate per path. They differ in how they order candidates that all match.
import type { PathCandidate, RouteMatcher } from './route-matcher.js';

// traditional.lua's MATCH_RULES bits.
const HOST = 0x40;
const URI = 0x10;
const METHOD = 0x08;

interface KongCandidate extends PathCandidate {
  readonly plainHosts: ReadonlySet<string>;
  readonly wildcardHosts: readonly WildcardHost[];
  /** Which of HOST, URI, METHOD the route has: its category in the traditional router. */
  readonly rules: number;
  /** How many of them: Kong's match_weight. */
  readonly weight: number;
  readonly plainHostsOnly: boolean;
}

interface WildcardHost {
  readonly value: string;
  /** traditional.lua: dots escaped, `*` → `.+`, anchored, an optional port at the end. */
  readonly regex: RegExp;
}

function kongCandidate(c: PathCandidate): KongCandidate {
  const hosts = c.hosts ?? [];
  const wildcardHosts = hosts.filter((h) => h.includes('*')).map((value) => ({ value, regex: new RegExp(`^${value.replace(/\./g, '\\.').replace(/\*/g, '.+')}(?::\\d+)?$`) }));
  const rules = URI | (c.hosts ? HOST : 0) | (c.methods ? METHOD : 0);
  return {
    ...c,
    plainHosts: new Set(hosts.filter((h) => !h.includes('*'))),
    wildcardHosts,
    rules,
    weight: 1 + (c.hosts ? 1 : 0) + (c.methods ? 1 : 0),
    plainHostsOnly: c.hosts !== undefined && wildcardHosts.length === 0,
  };
}

/** The Host header split as Kong's split_port does: without its port, and with one (80 when absent). */
function splitPort(host: string): { readonly bare: string; readonly withPort: string } {
  const bracketed = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = bracketed >= 0 ? (host[bracketed + 1] === ':' ? bracketed + 1 : -1) : host.indexOf(':');
  if (colon < 0 || (bracketed < 0 && host.indexOf(':', colon + 1) >= 0)) return { bare: host, withPort: `${host}:80` };
  const port = host.slice(colon + 1);
  const name = host.slice(bracketed >= 0 ? 1 : 0, bracketed >= 0 ? bracketed : colon);
  if (port === '') return { bare: name, withPort: `${name}:80` };
  return /^\d+$/.test(port) ? { bare: name, withPort: host } : { bare: host, withPort: `${host}:80` };
}

interface Request {
  readonly method: string;
  readonly path: string;
  readonly host: string | undefined;
  readonly bare: string;
  readonly withPort: string;
}

function request(method: string, path: string, host: string | undefined): Request {
  const split = host === undefined ? { bare: '', withPort: '' } : splitPort(host);
  return { method, path, host, ...split };
}

function matches(c: KongCandidate, r: Request): boolean {
  if (!r.path.startsWith(c.prefix)) return false;
  if (c.methods !== undefined && !c.methods.has(r.method)) return false;
  if (c.hosts === undefined) return true;
  if (r.host === undefined) return false;
  return c.plainHosts.has(r.bare) || c.plainHosts.has(r.host) || c.wildcardHosts.some((w) => w.regex.test(r.withPort));
}

/**
 * router_flavor = traditional. Candidates are sorted (plain hosts only first, then the longer
 * path, then, where Kong goes by created_at, the policy's order) and grouped into categories by the
 * fields they have, tried from the most fields down. The request first "hits" an index per field:
 * a listed host, the first wildcard host that matches, the longest prefix that matches, a listed
 * method. In each category Kong tries the smallest of the hit indexes' candidate lists before the
 * whole category, so a longer prefix can win over a plain host when the Host header carries a port.
 */
export function compileKongTraditionalMatcher(paths: readonly PathCandidate[]): RouteMatcher {
  const candidates = paths.map(kongCandidate).sort((a, b) => Number(b.plainHostsOnly) - Number(a.plainHostsOnly) || b.prefix.length - a.prefix.length || a.order - b.order);
  const categories = new Map<number, Category>();
  for (const c of candidates) {
    let category = categories.get(c.rules);
    if (category === undefined) {
      category = { rules: c.rules, weight: c.weight, all: [], byHost: new Map(), byUri: new Map(), byMethod: new Map() };
      categories.set(c.rules, category);
    }
    category.all.push(c);
    for (const host of c.hosts ?? []) push(category.byHost, host, c);
    push(category.byUri, c.prefix, c);
    for (const method of c.methods ?? []) push(category.byMethod, method, c);
  }
  const ordered = [...categories.values()].sort((a, b) => b.weight - a.weight || b.rules - a.rules);
  const plainHosts = new Set(candidates.flatMap((c) => [...c.plainHosts]));
  const wildcardHosts = candidates.flatMap((c) => c.wildcardHosts);
  const prefixes = [...new Set(candidates.map((c) => c.prefix))].sort((a, b) => b.length - a.length);
  const methods = new Set(candidates.flatMap((c) => [...(c.methods ?? [])]));

  return (method, path, host) => {
    const r = request(method, path, host);
    let hit = 0;
    let hitHost: string | undefined;
    if (host !== undefined) {
      if (plainHosts.has(r.withPort) || plainHosts.has(r.bare)) hit |= HOST;
      else {
        hitHost = wildcardHosts.find((w) => w.regex.test(r.withPort))?.value;
        if (hitHost !== undefined) hit |= HOST;
      }
    }
    const hitUri = prefixes.find((p) => path.startsWith(p));
    if (hitUri !== undefined) hit |= URI;
    if (methods.has(method)) hit |= METHOD;
    if (hit === 0) return undefined;
    const start = Math.max(0, ordered.findIndex((c) => c.rules === hit));
    for (const category of ordered.slice(start)) {
      const reduced = smallest([
        category.rules & HOST ? category.byHost.get(hitHost ?? host ?? '') : undefined,
        category.rules & URI && hitUri !== undefined ? category.byUri.get(hitUri) : undefined,
        category.rules & METHOD ? category.byMethod.get(method) : undefined,
      ]);
      const found = reduced?.find((c) => matches(c, r)) ?? category.all.find((c) => matches(c, r));
      if (found) return found.name;
    }
    return undefined;
  };
}

interface Category {
  readonly rules: number;
  readonly weight: number;
  readonly all: KongCandidate[];
  readonly byHost: Map<string, KongCandidate[]>;
  readonly byUri: Map<string, KongCandidate[]>;
  readonly byMethod: Map<string, KongCandidate[]>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** traditional.lua's reducer: the shortest list, the first one (host, uri, method) on a tie. */
function smallest<T>(lists: readonly (readonly T[] | undefined)[]): readonly T[] | undefined {
  let best: readonly T[] | undefined;
  for (const list of lists) if (list !== undefined && (best === undefined || list.length < best.length)) best = list;
  return best;
}

/**
 * router_flavor = traditional_compatible (Kong's default) or expressions: transform.lua turns each
 * route (split by path length) into `http.method == … && http.host == / =^ / ^= … && http.path ^= …`
 * with a priority: the number of fields, then plain hosts only, then the path's length; the ATC
 * router tries candidates by that priority (equal priorities by route id, here the policy's order).
 * `*.x` is a suffix match (`=^ ".x"`), `x.*` a prefix match, a `*` elsewhere is a literal.
 */
export function compileKongAtcMatcher(paths: readonly PathCandidate[]): RouteMatcher {
  const candidates = paths
    .map((c) => ({ ...c, weight: 1 + (c.hosts ? 1 : 0) + (c.methods ? 1 : 0), plainHostsOnly: c.hosts !== undefined && !c.hosts.some((h) => h.includes('*')) }))
    .sort((a, b) => b.weight - a.weight || Number(b.plainHostsOnly) - Number(a.plainHostsOnly) || b.prefix.length - a.prefix.length || a.order - b.order);
  return (method, path, host) => {
    const bare = host === undefined ? undefined : splitPort(host).bare;
    for (const c of candidates) {
      if (!path.startsWith(c.prefix)) continue;
      if (c.methods !== undefined && !c.methods.has(method)) continue;
      if (c.hosts !== undefined && (bare === undefined || !c.hosts.some((h) => atcHostMatches(h, bare)))) continue;
      return c.name;
    }
    return undefined;
  };
}

function atcHostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*')) return host.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return host.startsWith(pattern.slice(0, -1));
  return host === pattern;
}
