// The Kong PDK as the external-plugin bridge exposes it (mp_rpc.lua call_pdk_method plus the
// exposed_api overrides in plugin_servers/plugin.lua), over one simulated KongRequest. Only the
// first return value of a Lua function reaches the plugin; a Lua error aborts the event.
import { LuaMap } from './lua-values.js';
import { CLIENT_BODY_BUFFER_SIZE, type HeaderMap, type KongRequest } from './kong-request.js';

export type Phase = 'access' | 'response' | 'log';

export type PdkOutcome =
  | { readonly kind: 'value'; readonly value: unknown }
  /** kong.response.exit/error: Kong yields the handler; no Step follows. */
  | { readonly kind: 'exit' }
  /** A Lua error raised by the PDK function (bad argument, wrong phase). */
  | { readonly kind: 'lua-error'; readonly message: string };

/** The upstream's answer as buffered proxying holds it during the response phase. */
export interface ServiceResponse {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly body: string;
}

/** What the response looked like when the log phase runs (the timer's saved snapshot). */
export interface LogSnapshot {
  readonly status: number;
  readonly responseHeaders: HeaderMap;
}

class LuaError extends Error {}

type PdkFunction = (request: KongRequest, args: readonly unknown[], snapshot: LogSnapshot | undefined, service: ServiceResponse | undefined) => unknown;

const EXIT = Symbol('exit');
const CR_LF = /[\r\n]/;
const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'err', 'crit', 'alert', 'emerg'];

export class KongPdk {
  /** Messages the plugin logged through kong.log.* and Kong's own "could not find pdk method". */
  readonly logs: string[] = [];

  constructor(
    private readonly request: KongRequest,
    private readonly phase: Phase,
    private readonly snapshot?: LogSnapshot,
    private readonly service?: ServiceResponse,
  ) {}

  call(method: string, args: readonly unknown[]): PdkOutcome {
    const level = /^kong\.log\.(\w+)$/.exec(method)?.[1];
    if (level !== undefined && LOG_LEVELS.includes(level)) {
      this.logs.push(`[${level}] ${args.map(String).join('')}`);
      return { kind: 'value', value: undefined };
    }
    const fn = PHASES[this.phase][method];
    if (!fn) {
      if (this.phase === 'log' && method in ACCESS_PHASE) {
        return { kind: 'lua-error', message: `${method} is not available in the log timer (harness: Kong behaviour unconfirmed)` };
      }
      if (this.phase === 'response' && method in ACCESS_PHASE) return { kind: 'lua-error', message: `${method}: function cannot be called in response phase` };
      this.logs.push(`[err] could not find pdk method: ${method}`);
      return { kind: 'value', value: undefined };
    }
    try {
      const value = fn(this.request, args, this.snapshot, this.service);
      return value === EXIT ? { kind: 'exit' } : { kind: 'value', value };
    } catch (error) {
      if (error instanceof LuaError) return { kind: 'lua-error', message: error.message };
      throw error;
    }
  }
}

function stringArg(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new LuaError(`${what} must be a string`);
  return value;
}

// kong/pdk/private/checks.lua validate_header(s): a string, number, boolean or array of strings.
// The CR/LF check stands for OpenResty refusing unsafe header bytes.
function headerValues(name: unknown, value: unknown): string[] {
  if (typeof name !== 'string') throw new LuaError(`invalid header name "${String(name)}": got ${typeof name}, expected string`);
  const values = Array.isArray(value) ? (value as unknown[]) : [value];
  return values.map((item) => {
    if (typeof item === 'number' || typeof item === 'boolean') return String(item);
    if (typeof item !== 'string') throw new LuaError(`invalid header value for "${name}": got ${typeof item}, expected string`);
    if (CR_LF.test(item) || CR_LF.test(name)) throw new LuaError(`unsafe byte in header "${name}"`);
    return item === '' ? ' ' : item;
  });
}

function headerTable(value: unknown): [string, unknown][] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LuaError('headers must be a table');
  return Object.entries(value);
}

// ngx.req.set_header / ngx.header: an empty array removes the header.
function setHeader(headers: HeaderMap, name: unknown, value: unknown): void {
  const values = headerValues(name, value);
  const key = (name as string).toLowerCase();
  if (values.length === 0) headers.delete(key);
  else headers.set(key, values);
}

function multimap(headers: HeaderMap): LuaMap {
  return new LuaMap(Object.fromEntries(headers));
}

// ngx.req.get_uri_args(): decoded, a bare `flag` is true, repeated names collect into an array;
// the bridge then turns every value into an array (true becomes []).
function parseQuery(raw: string): LuaMap {
  const out: Record<string, string[]> = {};
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const values = (out[name] ??= []);
    if (eq >= 0) values.push(decode(part.slice(eq + 1)));
  }
  return new LuaMap(out);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function exitWith(request: KongRequest, status: unknown, body: string, headers: unknown): typeof EXIT {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new LuaError('code must be a number between 100 and 599');
  }
  const merged: HeaderMap = new Map(request.responseHeaders);
  for (const [name, value] of headerTable(headers)) setHeader(merged, name, value);
  request.exit = { status, body, headers: Object.fromEntries(merged) };
  return EXIT;
}

function bodyText(body: unknown): string {
  if (body === undefined) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  if (typeof body === 'object' && body !== null) return JSON.stringify(body);
  throw new LuaError('body must be a nil, string or table');
}

const ACCESS_PHASE: Record<string, PdkFunction> = {
  'kong.request.get_headers': (r) => multimap(r.headers),
  'kong.request.get_header': (r, [name]) => r.headers.get(stringArg(name, 'header name').toLowerCase())?.[0],
  'kong.request.get_method': (r) => r.method,
  'kong.request.get_scheme': (r) => r.scheme,
  'kong.request.get_raw_path': (r) => r.rawPath,
  'kong.request.get_raw_query': (r) => r.rawQuery,
  'kong.request.get_query': (r) => parseQuery(r.rawQuery),
  'kong.request.get_path_with_query': (r) => `${r.rawPath}${r.rawQuery === '' ? '' : `?${r.rawQuery}`}`,
  'kong.request.get_raw_body': (r, [max]) => rawBody(r, max),
  'kong.request.get_http_version': (r) => r.httpVersion,
  'kong.request.get_host': (r) => (r.headers.get('host')?.[0] ?? 'localhost').replace(/:\d+$/, '').toLowerCase(),
  'kong.nginx.get_var': (r, [name]) => nginxVariable(r, stringArg(name, 'variable name')),
  'kong.client.get_ip': (r) => r.clientIp,
  'kong.client.get_forwarded_ip': (r) => r.clientIp,
  'kong.client.get_consumer': (r) => r.consumer,
  'kong.client.get_credential': (r) => r.credential,
  'kong.router.get_route': (r) => r.route,
  'kong.ctx.shared.get': (r, [key]) => r.ctxShared.get(stringArg(key, 'key')),
  'kong.ctx.shared.set': (r, [key, value]) => {
    r.ctxShared.set(stringArg(key, 'key'), value);
  },
  'kong.response.set_header': (r, [name, value]) => {
    setHeader(r.responseHeaders, name, value);
  },
  'kong.response.set_headers': (r, [headers]) => {
    for (const [name, value] of headerTable(headers)) setHeader(r.responseHeaders, name, value);
  },
  'kong.response.exit': (r, [status, body, headers]) => exitWith(r, status, bodyText(body), headers),
  'kong.response.error': (r, [status, message, headers]) =>
    exitWith(r, status, JSON.stringify({ message: typeof message === 'string' ? message : 'An unexpected error occurred', request_id: r.requestId }), {
      'Content-Type': 'application/json; charset=utf-8',
      ...(headers as object | undefined),
    }),
  'kong.service.request.set_header': (r, [name, value]) => {
    setHeader(r.headers, name, value);
  },
  'kong.service.request.set_headers': (r, [headers]) => {
    for (const [name, value] of headerTable(headers)) setHeader(r.headers, name, value);
  },
  'kong.service.request.clear_header': (r, [name]) => {
    r.headers.delete(stringArg(name, 'header').toLowerCase());
  },
  'kong.service.request.set_path': (r, [path]) => {
    if (!stringArg(path, 'path').startsWith('/')) throw new LuaError('path must start with /');
    r.upstreamPath = path as string;
  },
  'kong.service.request.set_raw_query': (r, [query]) => {
    r.rawQuery = stringArg(query, 'query');
  },
};

// kong/pdk/request.lua get_raw_body(max_allowed_file_size): a body nginx kept in memory as it is; a
// temp-file body (above client_body_buffer_size) only with a max of 0 (any size) or at least its
// size, else nil and an error — and mp_rpc.lua's fix_raw packs that nil as binary, which raises.
function rawBody(request: KongRequest, max: unknown): Buffer {
  const { body } = request;
  if (body.length <= CLIENT_BODY_BUFFER_SIZE) return body;
  const limit = typeof max === 'number' ? max : undefined;
  if (limit === undefined || limit < 0 || (limit > 0 && body.length > limit)) throw new LuaError('kong.request.get_raw_body returned nil, which mp_rpc cannot pack as binary');
  return body;
}

function nginxVariable(request: KongRequest, name: string): string | undefined {
  switch (name) {
    case 'request':
      return request.requestLine;
    case 'request_method':
      return request.method;
    case 'request_uri':
      return request.requestLine.split(' ')[1];
    case 'args':
      return request.rawQuery === '' ? undefined : request.rawQuery;
    case 'remote_addr':
      return request.clientIp;
    case 'request_id':
      return request.requestId;
    default:
      return undefined;
  }
}

// In the log timer only the overrides in plugin.lua work, against the saved request data.
const SAVED_IN_LOG_TIMER = ['kong.ctx.shared.get', 'kong.ctx.shared.set', 'kong.request.get_headers', 'kong.request.get_header'];
const LOG_PHASE: Record<string, PdkFunction> = {
  ...Object.fromEntries(Object.entries(ACCESS_PHASE).filter(([method]) => SAVED_IN_LOG_TIMER.includes(method))),
  'kong.response.get_status': (_r, _args, saved) => saved?.status,
  'kong.response.get_headers': (_r, _args, saved) => new LuaMap(Object.fromEntries(saved?.responseHeaders ?? [])),
  'kong.response.get_header': (_r, [name], saved) => saved?.responseHeaders.get(stringArg(name, 'header name').toLowerCase())?.[0],
  'kong.log.serialize': (r, _args, saved) =>
    JSON.stringify({
      request: { method: r.method, uri: r.requestLine.split(' ')[1], id: r.requestId },
      response: { status: saved?.status },
      client_ip: r.clientIp,
      consumer: r.consumer,
      route: r.route,
    }),
};

// Buffered proxying (a plugin with a `response` handler): Kong.response() has copied the upstream
// status and headers onto the response (kong.response.set_status/set_headers) before the phase
// runs; PDK setters of the service request are access-only (check_phase) and raise here.
const ACCESS_ONLY = /^kong\.service\.request\./;
const RESPONSE_PHASE: Record<string, PdkFunction> = {
  ...Object.fromEntries(Object.entries(ACCESS_PHASE).filter(([method]) => !ACCESS_ONLY.test(method))),
  'kong.service.response.get_status': (_r, _args, _saved, service) => service?.status,
  'kong.service.response.get_headers': (_r, _args, _saved, service) => new LuaMap(Object.fromEntries(service?.headers ?? [])),
  'kong.service.response.get_header': (_r, [name], _saved, service) => service?.headers.get(stringArg(name, 'header name').toLowerCase())?.[0],
  'kong.service.response.get_raw_body': (_r, _args, _saved, service) => Buffer.from(service?.body ?? ''),
  'kong.response.get_status': (r, _args, _saved, service) => r.status ?? service?.status,
  'kong.response.get_header': (r, [name]) => r.responseHeaders.get(stringArg(name, 'header name').toLowerCase())?.[0],
  'kong.response.clear_header': (r, [name]) => {
    r.responseHeaders.delete(stringArg(name, 'header name').toLowerCase());
  },
  'kong.response.set_status': (r, [status]) => {
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) throw new LuaError('code must be a number between 100 and 599');
    r.status = status;
  },
};

const PHASES: Readonly<Record<Phase, Record<string, PdkFunction>>> = { access: ACCESS_PHASE, response: RESPONSE_PHASE, log: LOG_PHASE };
