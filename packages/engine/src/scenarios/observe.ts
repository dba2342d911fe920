// A request played on the engine as a gateway would: facts in, and what the client and the
// upstream would see out. Shared by `tollgate test` and the conformance vectors.
import type { Engine } from '../engine.js';
import { captureBody } from '../metered/capture.js';
import type { Allow, ReasonCode, RequestFacts, ResponseFacts, UpstreamRewrite } from '../types.js';

/** A request in gateway terms: what a client sends and what the gateway's auth decided. */
export interface ScenarioRequest {
  readonly method: string;
  readonly path: string;
  readonly host?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly ip?: string;
  /** The consumer's username key-auth resolved (the anonymous consumer for keyless callers where allowed). */
  readonly consumer?: string;
  /** The credential (key) id the consumer authenticated with. */
  readonly credential?: string;
  readonly requestId?: string;
  /** The request body (UTF-8): what a metered route reads its model and estimate from, an MCP route its JSON-RPC calls. */
  readonly body?: string;
}

/** What the upstream answers an allowed request. */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** A response as the client (and the upstream) saw it. */
export interface ObservedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The reason of a denial; absent when the request was allowed. */
  readonly reason?: ReasonCode;
  /** What the upstream received, when the request was proxied. */
  readonly upstream?: { readonly headers: Readonly<Record<string, string>>; readonly query: Readonly<Record<string, string>>; readonly path: string };
}

export const DEFAULT_CLIENT_IP = '203.0.113.7';

/** The engine facts an adapter would produce for this request. */
export function factsOf(request: ScenarioRequest): RequestFacts {
  const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: request.method,
    path: request.path,
    ...(request.host === undefined ? {} : { host: request.host }),
    headers,
    query: request.query ?? {},
    clientIp: request.ip ?? DEFAULT_CLIENT_IP,
    ...(request.consumer === undefined ? {} : { consumer: { username: request.consumer } }),
    ...(request.credential === undefined ? {} : { credentialId: request.credential }),
    ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
    ...(request.body === undefined ? {} : { body: request.body }),
  };
}

/**
 * Decides, completes an allowed request with the upstream's answer (a status, or a status with
 * headers and a body), and reports what each side saw. The client sees the upstream's headers
 * without the one a metered route reads its cost from, and Tollgate's.
 */
export async function playRequest(engine: Engine, request: ScenarioRequest, upstream: number | UpstreamAnswer = 200): Promise<ObservedResponse> {
  const answer = typeof upstream === 'number' ? { status: upstream } : upstream;
  const decision = await engine.decide(factsOf(request));
  if (decision.kind === 'deny') return { status: decision.status, headers: decision.headers, body: decision.body, reason: decision.reason };
  if (decision.kind === 'respond') return { status: decision.status, headers: decision.headers, body: decision.body };
  const upstreamHeaders = lowerCased(answer.headers ?? {});
  if (decision.observe?.header !== undefined) upstreamHeaders.delete(decision.observe.header);
  if (decision.followUp !== undefined) await engine.complete(decision.followUp, answer.status, responseFacts(decision, answer));
  const headers = { ...Object.fromEntries(upstreamHeaders), ...decision.responseHeaders };
  return { status: answer.status, headers, body: answer.body ?? '', upstream: proxied(request, decision.upstream) };
}

/** What an adapter hands `complete` for this answer: only what `observe` asked it to capture. */
export function responseFacts(decision: Allow, answer: UpstreamAnswer): ResponseFacts | undefined {
  const { observe } = decision;
  if (observe === undefined) return undefined;
  const headers = lowerCased(answer.headers ?? {});
  const header = observe.header === undefined ? undefined : headers.get(observe.header);
  const contentType = headers.get('content-type');
  return {
    status: answer.status,
    ...(header === undefined ? {} : { header }),
    ...(observe.body === true ? { body: captureBody(answer.body ?? '') } : {}),
    ...(contentType === undefined ? {} : { contentType }),
  };
}

function lowerCased(headers: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** What the upstream receives once a gateway applied the rewrite: removals first, then sets. */
function proxied(request: ScenarioRequest, rewrite: UpstreamRewrite): NonNullable<ObservedResponse['upstream']> {
  const headers = new Map(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  for (const name of rewrite.removeHeaders) headers.delete(name.toLowerCase());
  for (const [name, value] of Object.entries(rewrite.setHeaders)) headers.set(name.toLowerCase(), value);
  const query = new Map(Object.entries(request.query ?? {}));
  for (const name of rewrite.removeQuery) query.delete(name);
  for (const [name, value] of Object.entries(rewrite.setQuery)) query.set(name, value);
  return { headers: Object.fromEntries(headers), query: Object.fromEntries(query), path: rewrite.path ?? request.path };
}
