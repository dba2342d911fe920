// How APISIX turns a client request into HTTPReqCall.Req fields and applies a runner's Stop or
// Rewrite to the request (apisix/plugins/ext-plugin/init.lua, ngx.req.get_uri_args/get_headers,
// ngx.encode_args). Arg values are strings, or `true` for a value-less `?flag`.
import type { StopAction, TextEntry } from '../../../packages/apisix-runner/src/protocol/messages.js';

export type ArgValue = string | true;
/** Args grouped by name in first-seen order, as a Lua table iterates them (order is not a contract). */
export type Args = Map<string, ArgValue[]>;
/** Lower-cased header names to their values. */
export type Headers = Map<string, string[]>;

/** Response headers APISIX refuses to take from Rewrite.resp_headers. */
export const EXCLUDED_RESP_HEADERS: ReadonlySet<string> = new Set([
  'connection', 'content-length', 'transfer-encoding', 'location', 'server', 'www-authenticate',
  'content-encoding', 'content-type', 'content-location', 'content-language',
]);

function unescape(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** ngx.req.get_uri_args(0): `a=1&a=2` repeats, `y=` is "", `z` is true, empty pieces are skipped. */
export function parseArgs(query: string): Args {
  const args: Args = new Map();
  for (const piece of query.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = unescape(eq === -1 ? piece : piece.slice(0, eq));
    if (name === '') continue;
    const value: ArgValue = eq === -1 ? true : unescape(piece.slice(eq + 1));
    const values = args.get(name);
    if (values === undefined) args.set(name, [value]);
    else values.push(value);
  }
  return args;
}

/** ngx.encode_args: `true` gives a bare name, strings are percent-encoded. */
export function encodeArgs(args: Args): string {
  const parts: string[] = [];
  for (const [name, values] of args) {
    for (const value of values) parts.push(value === true ? encodeURIComponent(name) : `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  }
  return parts.join('&');
}

export function argEntries(args: Args): TextEntry[] {
  return [...args].flatMap(([name, values]) => values.map((value) => (value === true ? { name } : { name, value })));
}

export function headersFrom(pairs: readonly (readonly [string, string])[]): Headers {
  const headers: Headers = new Map();
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    const values = headers.get(lower);
    if (values === undefined) headers.set(lower, [value]);
    else values.push(value);
  }
  return headers;
}

/** APISIX replaces the `host` entry's value with $upstream_host (the client's Host unless changed). */
export function headerEntries(headers: Headers, upstreamHost: string | undefined): TextEntry[] {
  return [...headers].flatMap(([name, values]) => values.map((value) => ({ name, value: name === 'host' && upstreamHost !== undefined ? upstreamHost : value })));
}

/** core.response.set_header for the first occurrence of a name, add_header for the next ones. */
export function applyResponseHeaders(target: Headers, entries: readonly TextEntry[], excluded: ReadonlySet<string> = new Set()): void {
  const seen = new Set<string>();
  for (const entry of entries) {
    const name = entry.name.toLowerCase();
    if (excluded.has(name)) continue;
    const value = entry.value ?? '';
    const values = seen.has(name) ? (target.get(name) ?? []) : [];
    values.push(value);
    target.set(name, values);
    seen.add(name);
  }
}

/** An empty Resp header list: init.lua copies the upstream's headers except the excluded ones. */
export function copyUpstreamHeaders(target: Headers, upstream: readonly (readonly [string, string])[]): void {
  for (const [name, value] of upstream) {
    const key = name.toLowerCase();
    if (!EXCLUDED_RESP_HEADERS.has(key)) target.set(key, [...(target.get(key) ?? []), value]);
  }
}

/**
 * What the client receives from the headers a Lua plugin set: nginx adds its own framing next to
 * them — `Transfer-Encoding: chunked` for a body streamed without Content-Length, and
 * `Connection: keep-alive` — so a hop-by-hop header a runner sends back reaches the client twice.
 */
export function withNginxFraming(set: Headers): Headers {
  const headers: Headers = new Map([...set].map(([name, values]) => [name, [...values]]));
  const add = (name: string, value: string) => headers.set(name, [...(headers.get(name) ?? []), value]);
  if (!headers.has('content-length')) add('transfer-encoding', 'chunked');
  add('connection', 'keep-alive');
  return headers;
}

export interface UpstreamRequest {
  readonly method: string;
  /** The path the upstream receives, decoded. */
  readonly path: string;
  /** The query the upstream receives, parsed. */
  readonly args: Args;
  /** The request-line URI nginx sends upstream, query string included. */
  readonly uri: string;
  readonly host: string | undefined;
  readonly headers: Headers;
  readonly body?: Uint8Array;
}

export interface StopResult {
  readonly status: number;
  readonly headers: Headers;
  /** Undefined when the runner sent no body: nginx then serves its own page for the status. */
  readonly body?: Uint8Array;
}

export function applyStop(stop: StopAction): StopResult {
  const headers: Headers = new Map();
  applyResponseHeaders(headers, stop.headers);
  const body = stop.body !== undefined && stop.body.length > 0 ? stop.body : undefined;
  return { status: stop.status === 0 ? 200 : stop.status, headers, ...(body && { body }) };
}

/** core.utils.uri_safe_encode = nginx's ngx_escape_uri(NGX_ESCAPE_URI): space # % ?, controls, non-ASCII bytes. */
export function uriSafeEncode(path: string | Uint8Array): string {
  let out = '';
  for (const byte of typeof path === 'string' ? Buffer.from(path, 'utf8') : path) {
    const escaped = byte <= 0x20 || byte >= 0x7f || byte === 0x23 || byte === 0x25 || byte === 0x3f;
    out += escaped ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}
