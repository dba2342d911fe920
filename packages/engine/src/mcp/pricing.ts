// What an MCP body costs: each request by its tool (tools/call) or method, each notification by its
// method (else nothing), responses nothing; a batch the sum. Compiled once per route.
import type { McpRoutePrices } from '@tollgate/policy/schema';
import type { McpMessage } from './jsonrpc.js';

export interface McpPriceList {
  readonly tools: ReadonlyMap<string, number>;
  readonly methods: ReadonlyMap<string, number>;
  /** Any other request: the route's own `default`, else the route's cost for a POST. */
  readonly otherRequest: number;
}

/** Maps rather than the policy's records: a tool named `constructor` must not find Object's. */
export function compilePriceList(prices: McpRoutePrices, routeCost: number): McpPriceList {
  return {
    tools: new Map(Object.entries(prices.tools ?? {})),
    methods: new Map(Object.entries(prices.methods ?? {})),
    otherRequest: prices.default ?? routeCost,
  };
}

export function priceOf(message: McpMessage, list: McpPriceList): number {
  switch (message.kind) {
    case 'request': {
      const byTool = message.tool === undefined ? undefined : list.tools.get(message.tool);
      return byTool ?? list.methods.get(message.method) ?? list.otherRequest;
    }
    case 'notification':
      return list.methods.get(message.method) ?? 0;
    case 'response':
      return 0;
  }
}

/** The sum, or undefined when it is no longer an exact integer (a route cost near 2^53 times a batch). */
export function totalPrice(messages: readonly McpMessage[], list: McpPriceList): number | undefined {
  let total = 0;
  for (const message of messages) total += priceOf(message, list);
  return Number.isSafeInteger(total) ? total : undefined;
}
