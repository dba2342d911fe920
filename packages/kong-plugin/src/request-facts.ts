// RequestFacts from the fewest PDK round trips. Which calls a request needs depends only on the
// policy and the route the entry is pinned to, so the plan is made once per plugin instance:
// always the headers (the request id of problem bodies and the decision log, the host, payment
// and identity headers); nginx's $request (method, path, query in one call) unless the route is
// pinned and nothing else reads them (the usage endpoint's path does); the consumer when an auth plugin identifies callers; the
// credential, the client IP and the scheme only for the policies that use them; the body only on
// routes whose cost or price is read from it.
import { bodyFraming, entryNeedsBody, fitsRequestBodyLimit, isMcpRoute, REQUEST_BODY_LIMIT, requestBodyFacts, templateVariables, UNREAD_BODY, type EngineConfig, type RequestFacts } from '@tollgate/engine';
import type { KongPdk, Multimap } from './kong-pdk.js';
import { parseQuery, parseRequestLine, type RequestLine } from './request-line.js';

export interface FactPlan {
  /** Fetch nginx's $request: the method, path or query feeds the decision or the rewrite. */
  readonly requestLine: boolean;
  readonly consumer: boolean;
  readonly credential: boolean;
  readonly clientIp: boolean;
  readonly scheme: boolean;
  /** Read the request body (routeNeedsBody): a metered estimate or model, or MCP prices, come from it. */
  readonly body: boolean;
  /** The policy route this plugin entry guards, when the compiler pinned it. */
  readonly route: string | undefined;
}

export function planFacts(config: EngineConfig, route: string | undefined): FactPlan {
  const { limitBy, auth } = config.identity;
  const variables = templateVariables(JSON.stringify(config.rewrite ?? {}));
  return {
    requestLine: route === undefined || readsRequestLine(config, route, variables),
    consumer: auth !== 'none' || limitBy === 'consumer' || limitBy === 'credential' || variables.has('consumer'),
    credential: limitBy === 'credential' || variables.has('credential'),
    // limitBy header falls back to the client IP when the header is missing.
    clientIp: limitBy === 'ip' || limitBy === 'header',
    // x402 offers name the resource by absolute URL.
    scheme: config.payment?.x402 !== undefined,
    body: entryNeedsBody(config, route),
    route,
  };
}

/**
 * Whether anything but finding the route reads the method, path or query of a request on `route`
 * (what the engine and the rewrite read: engine.ts, compile/route-rules.ts, rewrite/).
 */
function readsRequestLine(config: EngineConfig, route: string, variables: ReadonlySet<string>): boolean {
  // An x402 offer names the resource by its URL, path included.
  if (config.payment?.x402 !== undefined) return true;
  // An MCP route prices POSTs by their JSON-RPC body; its other methods cost the route's cost.
  if (isMcpRoute(config, route)) return true;
  // The usage endpoint is recognised by its path, on a route whose paths may hold it.
  if (config.usageEndpoint !== undefined && mayServe(config, route, config.usageEndpoint)) return true;
  // Query rewrites start from the client's query, and templates may quote it.
  if (config.rewrite?.request?.query !== undefined || [...variables].some((name) => name.startsWith('query.'))) return true;
  return rulesDependOnMethod(config, route);
}

/** A route attached by name (no paths known) may match any path; otherwise one of its prefixes must. */
function mayServe(config: EngineConfig, route: string, path: string): boolean {
  const paths = config.routes.find((r) => r.name === route)?.paths;
  return paths === undefined || paths.some((prefix) => path.startsWith(prefix));
}

/** A plan that grants this route for some methods only, or a per-method cost the route's own cost does not override. */
function rulesDependOnMethod(config: EngineConfig, route: string): boolean {
  const grantsByMethod = config.plans.some(({ plan }) => plan.routes?.some((grant) => typeof grant !== 'string' && grant.route === route));
  const costsByMethod = config.costs.routes?.[route] === undefined && Object.keys(config.costs.methods ?? {}).length > 0;
  return grantsByMethod || costsByMethod;
}

/** Request ids set by Kong's correlation-id plugin or by the client's edge. */
const REQUEST_ID_HEADERS = ['kong-request-id', 'x-request-id'];

/**
 * What stands for the request line the plan did not fetch: nothing reads it (the route is pinned,
 * and readsRequestLine found no other reader), so no value here can change a decision.
 */
const UNREAD_LINE: RequestLine = { method: '', path: '', rawQuery: '' };
/** A request line nginx could not have produced: decide as for `GET /`. */
const UNPARSED_LINE: RequestLine = { method: 'GET', path: '/', rawQuery: '' };

export async function gatherFacts(kong: KongPdk, plan: FactPlan): Promise<{ facts: RequestFacts; rawQuery: string }> {
  const headers: Multimap = (await kong.request.getHeaders()) ?? {};
  const line = plan.requestLine ? (parseRequestLine((await kong.nginx.getVar('request')) ?? '') ?? UNPARSED_LINE) : UNREAD_LINE;
  const consumer = plan.consumer ? await kong.client.getConsumer() : undefined;
  const credential = plan.credential ? await kong.client.getCredential() : undefined;
  const clientIp = plan.clientIp ? await kong.client.getForwardedIp() : undefined;
  const scheme = plan.scheme ? await kong.request.getScheme() : undefined;
  const body = plan.body ? await readBody(kong, headers) : undefined;
  const host = headers.host?.[0];
  const requestId = REQUEST_ID_HEADERS.map((name) => headers[name]?.[0]).find((id) => id !== undefined);
  const facts: RequestFacts = {
    method: line.method,
    path: line.path,
    headers,
    query: parseQuery(line.rawQuery),
    clientIp: clientIp ?? '',
    ...(host === undefined ? {} : { host }),
    ...(scheme === undefined ? {} : { scheme }),
    ...(consumer === undefined ? {} : { consumer: consumerOf(consumer) }),
    ...(credential?.id === undefined ? {} : { credentialId: credential.id }),
    ...(plan.route === undefined ? {} : { route: plan.route }),
    ...(requestId === undefined ? {} : { requestId }),
    ...body,
  };
  return { facts, rawQuery: line.rawQuery };
}

/**
 * The request body as far as the plugin server can ask for it without failing the request:
 * get_raw_body(max) answers nil for a temp-file body above `max` (nginx writes bodies above
 * client_body_buffer_size, 8k by default, to a file), and the bridge raises on that nil, so only a
 * body whose Content-Length is within REQUEST_BODY_LIMIT is read. A longer or chunked one is
 * unread (bodyTruncated, no body); a request with neither header has no body in HTTP/1.x, while an
 * HTTP/2 or HTTP/3 one may: unread too.
 */
async function readBody(kong: KongPdk, headers: Multimap): Promise<Pick<RequestFacts, 'body' | 'bodyTruncated'>> {
  const framing = bodyFraming(headers);
  if (fitsRequestBodyLimit(framing)) {
    if (framing.bytes === 0) return { body: '' };
    const raw = await kong.request.getRawBody(REQUEST_BODY_LIMIT);
    return requestBodyFacts(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : (raw ?? new Uint8Array()));
  }
  if (framing.kind === 'undeclared' && ((await kong.request.getHttpVersion()) ?? 1) < 2) return { body: '' };
  return UNREAD_BODY;
}

function consumerOf(entity: { id?: string; username?: string; custom_id?: string }): NonNullable<RequestFacts['consumer']> {
  return {
    ...(entity.id === undefined ? {} : { id: entity.id }),
    ...(entity.username === undefined ? {} : { username: entity.username }),
    ...(entity.custom_id === undefined ? {} : { customId: entity.custom_id }),
  };
}
