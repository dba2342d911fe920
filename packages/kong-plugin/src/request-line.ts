// Method, path and query from nginx's $request ("GET /v1/x?a=1 HTTP/1.1"): one PDK round trip
// instead of three (get_method, get_path, get_query). The path is normalized as Kong's router and
// kong.request.get_path() see it — percent-decoded except reserved characters, dot segments
// removed, slashes merged — so `/v1/%66orecast` or `/x/../v1/forecast` cannot dodge a route's
// rules.

export interface RequestLine {
  readonly method: string;
  readonly path: string;
  readonly rawQuery: string;
}

const RESERVED = new Set("!*'();:@&=+$,/?%#[]".split('').map((c) => c.charCodeAt(0)));
const utf8 = new TextDecoder();

export function parseRequestLine(line: string): RequestLine | undefined {
  const [method, target] = line.split(' ');
  if (method === undefined || method === '' || target === undefined || target === '') return undefined;
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  return { method, path: normalizePath(rawPath), rawQuery: q < 0 ? '' : target.slice(q + 1) };
}

export function normalizePath(raw: string): string {
  return removeDotSegments(decodeUnreserved(raw)).replace(/\/{2,}/g, '/');
}

function decodeUnreserved(raw: string): string {
  if (!raw.includes('%')) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const hex = raw[i] === '%' ? raw.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      const byte = parseInt(hex, 16);
      if (RESERVED.has(byte)) bytes.push(...Buffer.from(`%${hex.toUpperCase()}`));
      else bytes.push(byte);
      i += 2;
    } else {
      bytes.push(...Buffer.from(raw[i] ?? ''));
    }
  }
  return utf8.decode(Uint8Array.from(bytes));
}

// RFC 3986 §5.2.4.
function removeDotSegments(path: string): string {
  const output: string[] = [];
  for (const segment of path.split('/').slice(1)) {
    if (segment === '..') output.pop();
    else if (segment !== '.') output.push(segment);
  }
  const last = path.split('/').at(-1);
  const trailing = last === '.' || last === '..' ? '/' : '';
  return `/${output.join('/')}${trailing}`.replace(/\/\/$/, '/');
}

/** ngx.req.get_uri_args(): `+` is a space, a bare name is `true`, repeated names collect. */
export function parseQuery(raw: string): Record<string, string | string[] | true> {
  const args: Record<string, string | string[] | true> = {};
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? true : decodeComponent(part.slice(eq + 1));
    const seen = args[name];
    if (seen === undefined || seen === true) args[name] = value;
    else if (value !== true) args[name] = [...(typeof seen === 'string' ? [seen] : seen), value];
  }
  return args;
}

function decodeComponent(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
