// RequestFacts from the fewest PDK round trips. Which calls a request needs depends only on the
// policy, so the plan is made once per plugin instance: always the headers and nginx's $request
// (method, path, query in one call); the consumer when an auth plugin identifies callers; the
// credential, the client IP and the scheme only for the policies that use them.
import type { EngineConfig, RequestFacts } from '@tollgate/engine';
import type { KongPdk, Multimap } from './kong-pdk.js';
import { parseQuery, parseRequestLine } from './request-line.js';

export interface FactPlan {
  readonly consumer: boolean;
  readonly credential: boolean;
  readonly clientIp: boolean;
  readonly scheme: boolean;
  /** The policy route this plugin entry guards, when the compiler pinned it. */
  readonly route: string | undefined;
}

export function planFacts(config: EngineConfig, route: string | undefined): FactPlan {
  const { limitBy, auth } = config.identity;
  const templates = JSON.stringify(config.rewrite ?? {});
  return {
    consumer: auth !== 'none' || limitBy === 'consumer' || limitBy === 'credential' || templates.includes('{{consumer}}'),
    credential: limitBy === 'credential' || templates.includes('{{credential}}'),
    // limitBy header falls back to the client IP when the header is missing.
    clientIp: limitBy === 'ip' || limitBy === 'header',
    // x402 offers name the resource by absolute URL.
    scheme: config.payment?.x402 !== undefined,
    route,
  };
}

/** Request ids set by Kong's correlation-id plugin or by the client's edge. */
const REQUEST_ID_HEADERS = ['kong-request-id', 'x-request-id'];

export async function gatherFacts(kong: KongPdk, plan: FactPlan): Promise<{ facts: RequestFacts; rawQuery: string }> {
  const headers: Multimap = (await kong.request.getHeaders()) ?? {};
  const line = parseRequestLine((await kong.nginx.getVar('request')) ?? '') ?? { method: 'GET', path: '/', rawQuery: '' };
  const consumer = plan.consumer ? await kong.client.getConsumer() : undefined;
  const credential = plan.credential ? await kong.client.getCredential() : undefined;
  const clientIp = plan.clientIp ? await kong.client.getForwardedIp() : undefined;
  const scheme = plan.scheme ? await kong.request.getScheme() : undefined;
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
  };
  return { facts, rawQuery: line.rawQuery };
}

function consumerOf(entity: { id?: string; username?: string; custom_id?: string }): NonNullable<RequestFacts['consumer']> {
  return {
    ...(entity.id === undefined ? {} : { id: entity.id }),
    ...(entity.username === undefined ? {} : { username: entity.username }),
    ...(entity.custom_id === undefined ? {} : { customId: entity.custom_id }),
  };
}
