// What a gateway adapter must deliver for a policy route beyond the request's head: the request
// body (RequestFacts.body) where a cost or price is read from it, and what to observe of the
// upstream's response (Allow.observe) on metered routes. The compiler chooses each route's gateway
// path from these (Kong: which plugin, and the header removal; `--explain`), and the adapters
// decide from them whether to read the body at all: every other request keeps nginx's streaming.
import { routeReadsBody } from '../metered/meter.js';
import type { ResponseObservation } from '../types.js';
import type { EngineConfig } from './engine-config.js';

/** `costs.mcp` (helper mcp's schema): per route, JSON-RPC prices read from the request body. */
interface McpCosts {
  readonly mcp?: Readonly<Record<string, unknown>>;
}

/**
 * Whether requests on `route` need their body: a metered route whose estimate is computed from a
 * request field or whose prices depend on the body's `model` (routeReadsBody), or an MCP route
 * (priced per JSON-RPC call).
 */
export function routeNeedsBody(config: Pick<EngineConfig, 'costs'>, route: string): boolean {
  return (config.costs as McpCosts).mcp?.[route] !== undefined || routeReadsBody(config, route);
}

/** What an adapter must capture of the response on `route`: the cost header, or the body holding token usage. */
export function routeObservation(config: Pick<EngineConfig, 'costs'>, route: string): ResponseObservation | undefined {
  const spec = config.costs.metered?.[route];
  if (spec === undefined) return undefined;
  if (spec.header !== undefined) return { header: spec.header.toLowerCase() };
  return spec.usage === undefined ? undefined : { body: true };
}

/**
 * The policy routes an adapter entry may serve: the one it is pinned to, or every route of the
 * policy (an entry without a route prices whichever route the engine matches).
 */
export function entryRoutes(config: Pick<EngineConfig, 'routes'>, route: string | undefined): readonly string[] {
  return route === undefined ? config.routes.map((r) => r.name) : [route];
}

/** routeNeedsBody for an adapter entry (pinned to `route`, or to none). */
export function entryNeedsBody(config: Pick<EngineConfig, 'costs' | 'routes'>, route: string | undefined): boolean {
  return entryRoutes(config, route).some((name) => routeNeedsBody(config, name));
}

/** Whether any route the entry may serve is metered: its follow-up completes with what the response stated. */
export function entryIsMetered(config: Pick<EngineConfig, 'costs' | 'routes'>, route: string | undefined): boolean {
  return entryRoutes(config, route).some((name) => routeObservation(config, name) !== undefined);
}

/** Whether any route the entry may serve reads its cost from the response body. */
export function entryObservesBody(config: Pick<EngineConfig, 'costs' | 'routes'>, route: string | undefined): boolean {
  return entryRoutes(config, route).some((name) => routeObservation(config, name)?.body === true);
}

/** The cost headers (lower-case) of the routes the entry may serve, each once. */
export function entryObservedHeaders(config: Pick<EngineConfig, 'costs' | 'routes'>, route: string | undefined): string[] {
  const names = entryRoutes(config, route).map((name) => routeObservation(config, name)?.header);
  return [...new Set(names.filter((name): name is string => name !== undefined))];
}

/**
 * Kong's plugin server has no header_filter phase, and its log phase runs in a timer where the
 * upstream's headers are gone: the post-function the compiler emits on a route metered by a header
 * takes the header off the client's response in header_filter and keeps its value in
 * kong.ctx.shared under this key, where the plugin's log phase reads it.
 */
export function kongObservedHeaderKey(header: string): string {
  return `tollgate.observed.${header.toLowerCase()}`;
}

/**
 * What an adapter entry must do once the upstream answered, and the policy setting that asks for
 * it: `whole-response` needs the upstream's answer before the client sees any of it (an x402
 * settlement, or a cost read from the body by an adapter that sees bodies only whole), `after`
 * completes a charge from the status or a header, `none` nothing.
 */
export interface ResponseWork {
  readonly work: 'none' | 'after' | 'whole-response';
  readonly why?: 'payment/x402' | 'costs/metered' | 'costs/chargeOn';
}

export function entryResponseWork(config: Pick<EngineConfig, 'payment' | 'costs' | 'routes'>, route: string | undefined): ResponseWork {
  if (config.payment?.x402 !== undefined) return { work: 'whole-response', why: 'payment/x402' };
  if (entryObservesBody(config, route)) return { work: 'whole-response', why: 'costs/metered' };
  if (config.costs.chargeOn === 'success') return { work: 'after', why: 'costs/chargeOn' };
  if (entryIsMetered(config, route)) return { work: 'after', why: 'costs/metered' };
  return { work: 'none' };
}
