// The engine's one MCP hook: on a route priced in `costs.mcp`, a POST's body is read and priced
// before admission (the admission then takes that cost in place of the route's), and the
// refusals are answered in JSON-RPC (answer.ts). Other routes and methods never reach it.
import type { EngineConfig } from '../config/engine-config.js';
import { costOf } from '../compile/route-rules.js';
import type { RouteRules } from '../store/store.js';
import type { RequestFacts } from '../types.js';
import { INVALID_REQUEST, readMcpBody, type McpBody, type McpUnreadable } from './jsonrpc.js';
import { compilePriceList, totalPrice, type McpPriceList } from './pricing.js';

export type { McpUnreadable } from './jsonrpc.js';

/** A body that was read and priced: its messages (for the answer) and what they cost together. */
export interface McpCall extends McpBody {
  readonly cost: number;
}

/** Undefined when the request is not an MCP call (another route, or not a POST). */
export type ReadMcpCall = (route: string, facts: RequestFacts) => McpCall | McpUnreadable | undefined;

/** Whether a route's requests are priced from their body: the gateway must deliver it (RequestFacts.body). */
export function isMcpRoute(config: EngineConfig, route: string): boolean {
  return config.costs.mcp !== undefined && Object.hasOwn(config.costs.mcp, route);
}

/** Undefined when the policy prices no MCP route: the engine then skips the hook altogether. */
export function compileMcpCalls(config: EngineConfig): ReadMcpCall | undefined {
  const routes = config.costs.mcp;
  if (routes === undefined || Object.keys(routes).length === 0) return undefined;
  // MCP messages only travel by POST, so the route's fallback cost is its POST cost.
  const lists = new Map<string, McpPriceList>(Object.entries(routes).map(([route, prices]) => [route, compilePriceList(prices, costOf(config, route, 'POST'))]));
  return (route, facts) => {
    const list = lists.get(route);
    if (list === undefined || facts.method !== 'POST') return undefined;
    const body = readMcpBody(facts.body, facts.bodyTruncated === true);
    if (!body.ok) return body;
    const cost = totalPrice(body.messages, list);
    if (cost === undefined) return { ok: false, code: INVALID_REQUEST, cause: 'the batch costs more than can be counted exactly' };
    return { ...body, cost };
  };
}

/** Per base rules, the rules of each MCP cost seen: the same object each time, so the Redis store's per-rules encoding stays cached. */
const priced = new WeakMap<RouteRules, Map<number, RouteRules>>();
/** Distinct costs cached per route; a batch sum past them gets rules of its own. */
const PRICED_PER_ROUTE = 256;

/** The route's rules with the call's cost in place of the route's. */
export function withMcpCost(rules: RouteRules, call: McpCall | McpUnreadable | undefined): RouteRules {
  if (call === undefined || !call.ok || call.cost === rules.cost) return rules;
  let byCost = priced.get(rules);
  if (byCost === undefined) {
    byCost = new Map();
    priced.set(rules, byCost);
  }
  const cached = byCost.get(call.cost);
  if (cached !== undefined) return cached;
  const costed = { ...rules, cost: call.cost };
  if (byCost.size < PRICED_PER_ROUTE) byCost.set(call.cost, costed);
  return costed;
}
