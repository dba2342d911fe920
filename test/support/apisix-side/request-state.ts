// The request as APISIX's variables hold it while plugins run, and what nginx finally sends
// upstream: `$upstream_uri` verbatim once a plugin set it (proxy-rewrite, a runner's Rewrite path),
// else the client's request URI untouched, or `$uri` escaped plus `$args` once something changed
// them. Follows apisix/plugins/proxy-rewrite.lua and ext-plugin/init.lua (3.18.0).
import {
  applyResponseHeaders,
  encodeArgs,
  headersFrom,
  EXCLUDED_RESP_HEADERS,
  parseArgs,
  uriSafeEncode,
  type Args,
  type Headers,
  type UpstreamRequest,
} from './http-model.js';
import type { RewriteAction } from '../../../packages/apisix-runner/src/protocol/messages.js';
import type { ApisixRoute, ClientRequest } from './apisix-side.js';

export interface RequestState {
  readonly method: string;
  /** $uri: the decoded, normalised path. */
  readonly uri: string;
  readonly args: Args;
  /** $args: the client's query string until set_uri_args re-encodes it. */
  readonly argsText: string;
  /** $upstream_uri: '' until a plugin sets it. */
  readonly upstreamUri: string;
  /** The client's request URI, which nginx sends as is while neither $uri nor $args changed. */
  readonly unparsedUri: string | undefined;
  readonly host: string | undefined;
  readonly headers: Headers;
  readonly body?: Uint8Array;
}

/** proxy-rewrite's `uri` (variables aside) or `regex_uri` (one pattern/replacement pair). */
export type ProxyRewrite = { readonly uri: string } | { readonly regexUri: readonly [string, string] };

/** Which query-string rule applies after a path rewrite (apache/apisix#13080, first in 3.16.0). */
export type QueryAfterPathRewrite = 'keep' | 'drop-unless-args-rewritten';

export function clientState(method: string, uri: string, headers: Headers, body?: Uint8Array): RequestState {
  const at = uri.indexOf('?');
  const argsText = at === -1 ? '' : uri.slice(at + 1);
  return { method, uri: decodePath(at === -1 ? uri : uri.slice(0, at)), args: parseArgs(argsText), argsText, upstreamUri: '', unparsedUri: uri, host: headers.get('host')?.[0], headers, ...(body && { body }) };
}

/** proxy-rewrite's rewrite phase: the new path escaped, then `?` or `&` and the current $args. */
export function applyProxyRewrite(state: RequestState, conf: ProxyRewrite): RequestState {
  let upstream = state.uri;
  let separatorEscaped = true;
  if ('uri' in conf) upstream = conf.uri;
  else {
    separatorEscaped = !state.uri.includes('?');
    const [pattern, replacement] = conf.regexUri;
    const regex = new RegExp(pattern);
    if (regex.test(upstream)) upstream = upstream.replace(regex, replacement);
  }
  const at = separatorEscaped ? upstream.indexOf('?') : -1;
  const escaped = at === -1 ? uriSafeEncode(upstream) : `${uriSafeEncode(upstream.slice(0, at))}${escapeControls(upstream.slice(at))}`;
  // ngx.req.set_uri(escaped): $uri now holds the escaped text.
  const upstreamUri = state.argsText === '' ? escaped : `${escaped}${at === -1 ? '?' : '&'}${state.argsText}`;
  return { ...state, uri: escaped, upstreamUri, unparsedUri: undefined };
}

/** HTTPReqCall.Req's path and args: $upstream_uri's once set (its query becomes $args), else $uri's. */
export function callRequest(state: RequestState): RequestState & { readonly path: string } {
  if (state.upstreamUri === '') return { ...state, path: state.uri };
  const at = state.upstreamUri.indexOf('?');
  if (at === -1) return { ...state, path: state.upstreamUri };
  const argsText = state.upstreamUri.slice(at + 1);
  return { ...state, path: state.upstreamUri.slice(0, at), args: parseArgs(argsText), argsText, unparsedUri: undefined };
}

/** A runner's Rewrite in init.lua's order: path, headers, body, response headers, args, query string. */
export function applyRewrite(state: RequestState, rewrite: RewriteAction, responseHeaders: Headers, rule: QueryAfterPathRewrite): RequestState {
  const headers: Headers = new Map([...state.headers].map(([name, values]) => [name, [...values]]));
  let host = state.host;
  for (const entry of rewrite.headers) {
    // core.request.set_header: a value replaces every value of that header, no value deletes it.
    const name = entry.name.toLowerCase();
    if (entry.value === undefined) headers.delete(name);
    else headers.set(name, [entry.value]);
    if (name === 'host') host = entry.value;
  }
  applyResponseHeaders(responseHeaders, rewrite.respHeaders, EXCLUDED_RESP_HEADERS);

  let { args, argsText, unparsedUri, upstreamUri } = state;
  if (rewrite.args.length > 0) {
    args = new Map([...state.args].map(([name, values]) => [name, [...values]]));
    const changed = new Set<string>();
    for (const entry of rewrite.args) {
      if (entry.value === undefined) {
        args.delete(entry.name);
        continue;
      }
      if (changed.has(entry.name)) args.get(entry.name)?.push(entry.value);
      else args.set(entry.name, [entry.value]);
      changed.add(entry.name);
    }
    argsText = encodeArgs(args);
    unparsedUri = undefined;
  }
  if (rewrite.path !== undefined) {
    const keepQuery = rule === 'keep' || rewrite.args.length > 0;
    upstreamUri = `${uriSafeEncode(rewrite.path)}${keepQuery && argsText !== '' ? `?${argsText}` : ''}`;
  }
  const body = rewrite.body !== undefined && rewrite.body.length > 0 ? rewrite.body : state.body;
  return { ...state, args, argsText, upstreamUri, unparsedUri, host, headers, ...(body && { body }) };
}

/** What nginx sends upstream, read back the way the upstream parses it. */
export function upstreamRequest(state: RequestState): UpstreamRequest {
  const uri = state.upstreamUri !== '' ? state.upstreamUri : (state.unparsedUri ?? `${uriSafeEncode(state.uri)}${state.argsText === '' ? '' : `?${state.argsText}`}`);
  const at = uri.indexOf('?');
  const args: Args = parseArgs(at === -1 ? '' : uri.slice(at + 1));
  return { method: state.method, path: decodePath(at === -1 ? uri : uri.slice(0, at)), args, uri, host: state.host, headers: state.headers, ...(state.body && { body: state.body }) };
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** core.utils.escape_uri_control_chars: the query part keeps its delimiters, controls are encoded. */
function escapeControls(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** The request as the route's ext-plugin receives it: after proxy-rewrite unless it runs first (pre-req). */
export function beforePlugin(route: ApisixRoute, client: ClientRequest): RequestState {
  const state = clientState(client.method, client.uri, headersFrom(client.headers ?? []), client.body);
  return route.proxyRewrite === undefined || route.plugin === undefined || route.plugin === 'ext-plugin-pre-req' ? state : applyProxyRewrite(state, route.proxyRewrite);
}

/** ext-plugin-pre-req runs before proxy-rewrite, which then still rewrites the request. */
export function afterPlugins(route: ApisixRoute, state: RequestState): RequestState {
  return route.proxyRewrite !== undefined && (route.plugin === undefined || route.plugin === 'ext-plugin-pre-req') ? applyProxyRewrite(state, route.proxyRewrite) : state;
}

/** ctx.var: the request's explicit vars first, then the nginx variables a runner commonly asks for. */
export function lookupVar(name: string, client: ClientRequest, state: RequestState): string | undefined {
  const explicit = client.vars?.[name];
  if (explicit !== undefined) return explicit;
  if (name === 'remote_addr') return client.srcIp ?? '127.0.0.1';
  if (name === 'uri') return state.uri;
  if (name === 'upstream_uri') return state.upstreamUri;
  if (name === 'request_method') return client.method;
  if (name === 'server_protocol') return 'HTTP/1.1';
  if (name === 'args') return state.argsText;
  if (name.startsWith('arg_')) {
    const value = state.args.get(name.slice(4))?.[0];
    return value === true ? '' : value;
  }
  if (name.startsWith('http_')) {
    const wanted = name.slice(5);
    return client.headers?.find(([header]) => header.toLowerCase().replace(/-/g, '_') === wanted)?.[1];
  }
  return undefined;
}
