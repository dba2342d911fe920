// Which policy route a request is on, when the gateway did not say (an entry not pinned to its
// route): the route the gateway's own router would pick among the policy's routes, compiled once
// per config. Policy routes have prefix paths, optional methods and optional hosts (`*` wildcards);
// each gateway matches those its own way (kong-router.ts, apisix-router.ts). The path is the one the
// router sees: Kong's normalized request path, APISIX's $uri.
import type { Route } from '@tollgate/policy/schema';
import { compileApisixMatcher } from './apisix-router.js';
import { compileKongAtcMatcher, compileKongTraditionalMatcher } from './kong-router.js';

/**
 * - `kong-traditional`: Kong's `router_flavor = traditional`.
 * - `kong-atc`: Kong's `traditional_compatible` (its default) and `expressions`, which turn a
 *   route's paths, methods and hosts into an expression with a priority.
 * - `apisix`: APISIX's default `radixtree_host_uri` router over the compiler's `<path>*` uris.
 */
export type GatewayRouter = 'kong-traditional' | 'kong-atc' | 'apisix';
export const GATEWAY_ROUTERS: readonly GatewayRouter[] = ['kong-traditional', 'kong-atc', 'apisix'];

export type RouteMatcher = (method: string, path: string, host: string | undefined) => string | undefined;

/** One path of one policy route: the unit every router sorts (Kong splits routes by path too). */
export interface PathCandidate {
  readonly name: string;
  /** The route's place in the policy: the tie-break where the gateway's order is arbitrary. */
  readonly order: number;
  readonly prefix: string;
  readonly methods: ReadonlySet<string> | undefined;
  readonly hosts: readonly string[] | undefined;
}

export function compileRouteMatcher(routes: readonly Route[], router: GatewayRouter): RouteMatcher {
  const candidates: PathCandidate[] = routes.flatMap((route, order) =>
    (route.paths ?? []).map((prefix) => ({
      name: route.name,
      order,
      prefix,
      methods: route.methods === undefined ? undefined : new Set<string>(route.methods),
      hosts: route.hosts,
    })),
  );
  if (candidates.length === 0) return () => undefined;
  if (router === 'apisix') return compileApisixMatcher(candidates);
  return router === 'kong-traditional' ? compileKongTraditionalMatcher(candidates) : compileKongAtcMatcher(candidates);
}
