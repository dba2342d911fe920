// Reads an MCP POST body (streamable HTTP: one JSON-RPC 2.0 message, or a batch of them as MCP
// revisions before 2025-06-18 allow) into what pricing and the JSON-RPC answers need: each
// message's kind, id, method and, for tools/call, the tool name. Nothing else of the body is kept.
// A body that is not exactly that is refused, never guessed at: the upstream's parser might read a
// different call out of it than the one priced.
import { REQUEST_BODY_LIMIT } from '../types.js';

/**
 * The most messages a batch may hold. Each refused request gets its own answer carrying the whole
 * problem, so an unbounded batch of tiny requests would turn 1 MiB in into several out; MCP itself
 * stopped batching in 2025-06-18, and the batches of older clients are a handful of messages.
 */
export const MCP_BATCH_LIMIT = 256;

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

/** MCP request ids are strings or integers (never null, unlike base JSON-RPC). */
export type JsonRpcId = string | number;

export type McpMessage =
  | { readonly kind: 'request'; readonly id: JsonRpcId; readonly method: string; readonly tool?: string }
  | { readonly kind: 'notification'; readonly method: string }
  | { readonly kind: 'response' };

export interface McpBody {
  readonly ok: true;
  /** The body was a JSON array: the answer is one too. */
  readonly batch: boolean;
  readonly messages: readonly McpMessage[];
}

export interface McpUnreadable {
  readonly ok: false;
  readonly code: typeof PARSE_ERROR | typeof INVALID_REQUEST;
  /** What exactly was wrong, for the client (error.data.cause) and the decision log. */
  readonly cause: string;
}

export function readMcpBody(body: string | undefined, truncated: boolean): McpBody | McpUnreadable {
  // A body the gateway cut or left unread (longer than REQUEST_BODY_LIMIT, or of a length it does
  // not declare where the gateway reads only a declared one) cannot be priced in full.
  if (truncated) return unreadable(INVALID_REQUEST, `the gateway did not read the whole body: it reads at most ${String(REQUEST_BODY_LIMIT)} bytes, and on some gateways only a body with a Content-Length`);
  if (body === undefined || body === '') return unreadable(PARSE_ERROR, 'the request has no body (an MCP POST carries a JSON-RPC message)');
  if (Buffer.byteLength(body, 'utf8') > REQUEST_BODY_LIMIT) return unreadable(INVALID_REQUEST, `the body is larger than ${String(REQUEST_BODY_LIMIT)} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return unreadable(PARSE_ERROR, `the body is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) {
    const message = readMessage(value);
    return typeof message === 'string' ? unreadable(INVALID_REQUEST, message) : { ok: true, batch: false, messages: [message] };
  }
  if (value.length === 0) return unreadable(INVALID_REQUEST, 'the batch is empty');
  if (value.length > MCP_BATCH_LIMIT) return unreadable(INVALID_REQUEST, `the batch holds more than ${String(MCP_BATCH_LIMIT)} messages`);
  const messages: McpMessage[] = [];
  for (const [index, element] of value.entries()) {
    const message = readMessage(element);
    if (typeof message === 'string') return unreadable(INVALID_REQUEST, `batch element ${String(index)}: ${message}`);
    messages.push(message);
  }
  return { ok: true, batch: true, messages };
}

function unreadable(code: McpUnreadable['code'], cause: string): McpUnreadable {
  return { ok: false, code, cause };
}

/** The message, or why it is not a JSON-RPC 2.0 message. */
function readMessage(value: unknown): McpMessage | string {
  if (!isObject(value)) return 'not a JSON-RPC message object';
  if (value.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"';
  if (!Object.hasOwn(value, 'method')) return readResponse(value);
  const { method } = value;
  if (typeof method !== 'string' || method === '') return 'method is not a non-empty string';
  if (!Object.hasOwn(value, 'id')) return { kind: 'notification', method };
  const { id } = value;
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)))) return 'id is not a string or an integer';
  if (method !== 'tools/call') return { kind: 'request', id, method };
  const { params } = value;
  if (!isObject(params) || typeof params.name !== 'string') return 'tools/call has no string params.name';
  return { kind: 'request', id, method, tool: params.name };
}

/** A client's answer to a server request (sampling, elicitation, roots): priced 0, answered nothing. */
function readResponse(value: Readonly<Record<string, unknown>>): McpMessage | string {
  const { id } = value;
  if (!(typeof id === 'string' || typeof id === 'number' || id === null)) return 'a response id is not a string, a number or null';
  if (Object.hasOwn(value, 'result') === Object.hasOwn(value, 'error')) return 'neither a request (method) nor a response (exactly one of result and error)';
  return { kind: 'response' };
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
