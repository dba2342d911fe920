// The engine's one MCP hook: on a route priced in `costs.mcp`, a POST's body is read and priced
// before admission (Admission.cost: the admission takes that cost in place of the route's), and the
// refusals are answered in JSON-RPC (answer.ts). Other routes and methods never reach it.
import type { EngineConfig } from '../config/engine-config.js';
import { costOf } from '../compile/route-rules.js';
import type { RequestFacts } from '../types.js';
import { INVALID_REQUEST, readMcpBody, type McpBody, type McpUnreadable } from './jsonrpc.js';
import { compilePriceList, totalPrice, type McpPriceList } from './pricing.js';

export type { McpUnreadable } from './jsonrpc.js';
export { answerMcp, answerUnreadable } from './answer.js';

/** A body that was read and priced: its messages (for the answer) and what they cost together. */
export interface McpCall extends McpBody {
  readonly cost: number;
}

/** Undefined when the request is not an MCP call (another route, or not a POST). */
export type ReadMcpCall = (route: string, facts: RequestFacts) => McpCall | McpUnreadable | undefined;

/** Whether a route's requests are priced from their body: the gateway must deliver it (RequestFacts.body). */
export function isMcpRoute(config: Pick<EngineConfig, 'costs'>, route: string): boolean {
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
