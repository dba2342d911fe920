// Prices of MCP (Model Context Protocol) calls: on a route that carries JSON-RPC 2.0 messages over
// streamable HTTP, each request in the POST body is priced by its tool (`tools/call`) or method,
// and a batch costs the sum. The engine reads the body; see docs/mcp.md.
import Type, { type Static } from 'typebox';
import { closed, closedRecord, described, NamePattern } from './schema-parts.js';

/** Prices are bounded so that the sum over the largest body a gateway delivers (1 MiB) stays an exact integer. */
export const MCP_MAX_PRICE = 1_000_000_000;
const Price = Type.Integer({ minimum: 0, maximum: MCP_MAX_PRICE });

/** MCP tool names: the 2025-11-25 revision recommends 1–128 of A-Z a-z 0-9 _ - . ; older servers use more, so only control characters and blanks are refused. */
export const McpToolName = Type.String({ pattern: '^[^\\s\\x00-\\x1f\\x7f]{1,128}$' });
/** JSON-RPC method names as MCP spells them: `tools/call`, `notifications/initialized`, … */
export const McpMethodName = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_./-]{0,127}$' });

export const McpRoutePrices = Type.Object(
  {
    tools: Type.Optional(
      closedRecord(McpToolName, Price, { description: 'Cost units of a tools/call request by tool name (params.name).' }),
    ),
    methods: Type.Optional(
      closedRecord(McpMethodName, Price, {
        description: 'Cost units of a request or notification by JSON-RPC method, e.g. "tools/list": 0. "tools/call" prices the tools that tools does not list.',
      }),
    ),
    default: Type.Optional(
      described(Price, 'Cost units of any other request (a message with an id). Default: the route\'s cost (costs.routes, costs.methods.POST, costs.default).'),
    ),
  },
  {
    ...closed,
    description:
      'Prices of one MCP route: each JSON-RPC request of a POST is priced by its tool or method, a batch costs the sum; notifications cost their methods entry or 0, responses 0.',
  },
);
export type McpRoutePrices = Static<typeof McpRoutePrices>;

export const McpCosts = closedRecord(Type.String({ pattern: NamePattern }), McpRoutePrices, {
  description: 'MCP routes by policy route name: requests are priced from their JSON-RPC body and refused with JSON-RPC errors.',
});

/**
 * The JSON-RPC methods a client sends an MCP server (revision 2025-11-25): requests, then
 * notifications. Lint warns on a price for any other name, most often a misspelling.
 */
export const MCP_CLIENT_METHODS = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'tasks/get',
  'tasks/result',
  'tasks/list',
  'tasks/cancel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  'notifications/tasks/status',
] as const;
