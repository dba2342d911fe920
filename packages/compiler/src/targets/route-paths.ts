// `--explain`: for each policy route, which path its request and response take through the gateway
// and what that costs, per adapter: what reads the request body (where a cost or price is read from
// it) and what observes the response (a metered route's cost header or body), or that the route
// needs nothing but the access phase.
import { entryResponseWork, REQUEST_BODY_LIMIT, RESPONSE_CAPTURE, routeNeedsBody, routeObservation } from '@tollgate/engine';
import type { EngineConfig } from '../engine-config.js';
import type { Lowered } from '../explain.js';

/** The JavaScript plugin on Kong's plugin server, the ext-plugin runner on APISIX, or a native Lua adapter with the sidecar. */
export type AdapterKind = 'kong-js' | 'apisix-runner' | 'lua';

const MIB = REQUEST_BODY_LIMIT / 1_048_576;
const KIB = (bytes: number): string => `${String(bytes / 1024)} KiB`;

const REQUEST_BODY: Readonly<Record<AdapterKind, string>> = {
  'kong-js': `request body: read in access with get_raw_body (the first ${String(MIB)} MiB crosses the plugin-server socket); only a body whose Content-Length is within ${String(MIB)} MiB, since Kong's bridge fails the request on a larger temp-file body: longer, chunked or HTTP/2 bodies without Content-Length are sent as unread`,
  'apisix-runner': `request body: asked from APISIX with ExtraInfo ReqBody (APISIX reads all of it, from its temp file if need be, into one frame); only a body whose Content-Length is within ${String(MIB)} MiB: others are sent as unread`,
  lua: `request body: read in the gateway (ngx.req.read_body; from nginx's temp file for a large body, at most the first ${String(MIB)} MiB read) and sent in the decide frame`,
};

const COST_HEADER: Readonly<Record<AdapterKind, string>> = {
  'kong-js': "log phase header: Kong's post-function keeps the upstream's cost header for the log phase and takes it off the client's response in header_filter (the plugin server has no header_filter); the response streams, and the log phase settles the cost after it was sent",
  'apisix-runner': "post-resp: ext-plugin-post-resp hands the runner the upstream's status and headers, and the runner's answer leaves the cost header out; the body streams chunk by chunk, but APISIX proxies the request itself with lua-resty-http (a new upstream connection per request, the request body read into memory)",
  lua: "Lua header_filter: reads the upstream's cost header and clears it before the client sees it; the response streams, and the log phase's timer sends the cost to the sidecar",
};

const COST_BODY: Readonly<Record<AdapterKind, string>> = {
  'kong-js': 'buffered response phase: the whole response is held before the client sees it (streamed tokens and SSE arrive in one piece, after the last one), so the plugin can read its usage',
  'apisix-runner': 'post-resp body: the runner asks for the response body (ExtraInfo RespBody), which APISIX reads whole before sending any of it: the whole response is held before the client sees it',
  lua: `Lua body_filter: keeps a copy of the first ${KIB(RESPONSE_CAPTURE.head)} and the last ${KIB(RESPONSE_CAPTURE.tail)} while the body streams by; every chunk reaches the client unchanged and at once`,
};

const AFTER_RESPONSE: Readonly<Record<AdapterKind, string>> = {
  'kong-js': 'log phase: the charge completes from the status after the response was sent (one more plugin-server round trip per request)',
  'apisix-runner': 'post-resp: the charge completes from the upstream status (APISIX proxies the request itself with lua-resty-http)',
  lua: 'Lua log phase: the charge completes from the status through a timer after the response',
};

const X402_SETTLEMENT: Readonly<Record<AdapterKind, string>> = {
  'kong-js': 'buffered response phase: the x402 payment settles before the client sees the answer, which Kong holds whole until then',
  'apisix-runner': 'post-resp: the x402 payment settles before APISIX sends the answer',
  lua: 'not on the Lua adapter: an x402 offer needs a buffered response',
};

export function routePaths(config: EngineConfig, routes: readonly string[], kind: AdapterKind): Lowered[] {
  return routes.map((route) => {
    const parts: string[] = [];
    if (routeNeedsBody(config, route)) parts.push(REQUEST_BODY[kind]);
    const observe = routeObservation(config, route);
    if (observe?.header !== undefined) parts.push(COST_HEADER[kind]);
    else if (observe?.body === true) parts.push(COST_BODY[kind]);
    else {
      const { work, why } = entryResponseWork(config, route);
      if (why === 'payment/x402') parts.push(X402_SETTLEMENT[kind]);
      else if (work !== 'none') parts.push(AFTER_RESPONSE[kind]);
    }
    if (parts.length === 0) parts.push('access only: nothing read after the decision, the response streams untouched');
    return { feature: `route ${route}`, detail: parts.join('; ') };
  });
}
