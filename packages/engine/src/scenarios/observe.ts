// A request played on the engine as a gateway would: facts in, and what the client and the
// upstream would see out. Shared by `tollgate test` and the conformance vectors.
import type { Engine } from '../engine.js';
import type { ReasonCode, RequestFacts, UpstreamRewrite } from '../types.js';

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
  /** The request body, as the gateway delivers it on routes that read it (MCP routes). */
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

/** Decides, completes an allowed request with the upstream's status, and reports what each side saw. */
export async function playRequest(engine: Engine, request: ScenarioRequest, upstreamStatus = 200): Promise<ObservedResponse> {
  const decision = await engine.decide(factsOf(request));
  if (decision.kind === 'deny') return { status: decision.status, headers: decision.headers, body: decision.body, reason: decision.reason };
  if (decision.kind === 'respond') return { status: decision.status, headers: decision.headers, body: decision.body };
  if (decision.followUp !== undefined) await engine.complete(decision.followUp, upstreamStatus);
  return { status: upstreamStatus, headers: decision.responseHeaders, body: '', upstream: proxied(request, decision.upstream) };
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
