// Refusals on an MCP route, in JSON-RPC 2.0: the status and headers stay those of the refusal
// (402 with PAYMENT-REQUIRED, 429 with Retry-After, …) and the body answers each request by its id.
// - A tools/call refused with an x402 offer: the x402 MCP transport's tool-result binding, a result
//   with isError, the PaymentRequired in structuredContent and as JSON text in content[0]; the
//   problem body in _meta (the reason may be spent credits, not only a missing payment).
// - Any other request: a JSON-RPC error whose code is the HTTP status (an application code, outside
//   JSON-RPC's reserved -32768..-32000) and whose data is the problem+json body.
// Notifications and responses get no answer of their own; a body of only those gets one error with
// id null, as MCP lets a server that cannot accept them answer.
import type { Allow, Deny } from '../types.js';
import { PAYMENT_REQUIRED_HEADER } from '../responses/x402.js';
import { PARSE_ERROR, type McpUnreadable } from './jsonrpc.js';
import type { McpCall } from './gate.js';

export const JSON_RPC_CONTENT_TYPE = 'application/json';
/** Where a tool result refusing a paid call keeps why it was refused (the problem body: plan, balance, links), as MCP names _meta keys. */
export const PROBLEM_META = 'dev.tollgate/problem';

interface JsonRpcError {
  readonly code: number;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The decision as it goes to an MCP client: a refusal in JSON-RPC, anything else unchanged. */
export function answerMcp(decision: Allow | Deny, call: McpCall): Allow | Deny {
  if (decision.kind !== 'deny') return decision;
  const deny = decision;
  const problem = JSON.parse(deny.body) as Record<string, unknown>;
  const error: JsonRpcError = { code: deny.status, message: String(problem.title), data: problem };
  const challenge = deny.headers[PAYMENT_REQUIRED_HEADER];
  const paymentRequired = challenge === undefined ? undefined : (JSON.parse(Buffer.from(challenge, 'base64').toString('utf8')) as unknown);
  const answers: object[] = [];
  for (const message of call.messages) {
    if (message.kind !== 'request') continue;
    if (message.method === 'tools/call' && paymentRequired !== undefined) {
      const result = { isError: true, structuredContent: paymentRequired, content: [{ type: 'text', text: JSON.stringify(paymentRequired) }], _meta: { [PROBLEM_META]: problem } };
      answers.push({ jsonrpc: '2.0', id: message.id, result });
    } else {
      answers.push({ jsonrpc: '2.0', id: message.id, error });
    }
  }
  const body = answers.length === 0 ? { jsonrpc: '2.0', id: null, error } : call.batch ? answers : answers[0];
  return asJsonRpc(deny, body);
}

/** A body that could not be read: one JSON-RPC error with id null (JSON-RPC's answer when the id is unknown). */
export function answerUnreadable(deny: Deny, unreadable: McpUnreadable): Deny {
  const problem = JSON.parse(deny.body) as Record<string, unknown>;
  const message = unreadable.code === PARSE_ERROR ? 'Parse error' : 'Invalid Request';
  return asJsonRpc(deny, { jsonrpc: '2.0', id: null, error: { code: unreadable.code, message, data: { ...problem, cause: unreadable.cause } } });
}

function asJsonRpc(deny: Deny, body: unknown): Deny {
  return { ...deny, headers: { ...deny.headers, 'Content-Type': JSON_RPC_CONTENT_TYPE }, body: JSON.stringify(body) };
}
