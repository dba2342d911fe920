// Headers the operator gives the facilitators it has accounts with (`Authorization: Bearer …`,
// `X-Api-Key: …`), from the environment: a JSON object keyed by facilitator origin, e.g.
//   {"https://x402.example": {"Authorization": "Bearer abc"}}
// They are sent only to a facilitator URL with exactly that origin, because the facilitator URL
// comes from the policy: a policy author who points an offer at their own server must not receive
// the operator's credentials. Header values are secrets: no problem message repeats one.

/** Headers per facilitator origin (`new URL(u).origin`). */
export type FacilitatorHeaders = ReadonlyMap<string, Readonly<Record<string, string>>>;

export const NO_FACILITATOR_HEADERS: FacilitatorHeaders = new Map();

export type FacilitatorHeadersParse = { readonly ok: true; readonly headers: FacilitatorHeaders } | { readonly ok: false; readonly problems: readonly string[] };

/** RFC 9110 §5.6.2 token characters. */
const NOT_TOKEN_CHARACTER = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** What an RFC 9110 field value may hold (HTAB, SP, VCHAR, obs-text) and fetch can send (Latin-1). */
const NOT_FIELD_VALUE_CHARACTER = /[^\t\x20-\x7e\x80-\xff]/;
/** Set by the facilitator client or by fetch for every request: an operator's value would clash. */
const CLIENT_SET_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding', 'host', 'connection']);
const EXPECTED = 'a JSON object of facilitator origin → {header name: value}, e.g. {"https://x402.example": {"Authorization": "Bearer …"}}';
const ORIGIN_FORM = 'an origin is scheme://host[:port] with scheme http or https, no path and no trailing slash, as new URL(url).origin gives it';

/**
 * Reads the JSON text of `source` (the environment variable, named in every problem). Unset or
 * empty: no headers. Else the map, or every problem found.
 */
export function parseFacilitatorHeaders(source: string, text: string | undefined): FacilitatorHeadersParse {
  if (text === undefined || text === '') return { ok: true, headers: NO_FACILITATOR_HEADERS };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the error, which may be a header value.
    return { ok: false, problems: [`${source}: not valid JSON; expected ${EXPECTED}`] };
  }
  if (!isJsonObject(parsed)) return { ok: false, problems: [`${source}: expected ${EXPECTED}, got ${jsonType(parsed)}`] };
  const problems: string[] = [];
  const headers = new Map<string, Readonly<Record<string, string>>>();
  for (const [key, value] of Object.entries(parsed)) {
    const originProblem = checkOrigin(key);
    if (originProblem !== undefined) {
      problems.push(`${source}: ${originProblem}`);
      continue;
    }
    if (!isJsonObject(value)) {
      problems.push(`${source}: the headers for ${key} must be a JSON object of header name → value, got ${jsonType(value)}`);
      continue;
    }
    const seen = new Set<string>();
    const before = problems.length;
    for (const [name, headerValue] of Object.entries(value)) {
      const headerProblem = checkHeader(name, headerValue, seen);
      if (headerProblem !== undefined) problems.push(`${source}: ${key}: ${headerProblem}`);
      seen.add(name.toLowerCase());
    }
    if (problems.length === before) headers.set(key, Object.freeze({ ...(value as Record<string, string>) }));
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, headers };
}

/** The headers for the facilitator at `url`, when its origin has any. */
export function facilitatorHeadersFor(headers: FacilitatorHeaders, url: string): Readonly<Record<string, string>> | undefined {
  if (headers.size === 0 || !URL.canParse(url)) return undefined;
  return headers.get(new URL(url).origin);
}

function checkOrigin(key: string): string | undefined {
  if (!URL.canParse(key)) return `"${key}" is not an origin (${ORIGIN_FORM}, e.g. "https://x402.example")`;
  const url = new URL(key);
  // The key itself is not repeated: its user:password@ part is a secret.
  if (url.username !== '' || url.password !== '') return `the key for ${url.protocol}//${url.host} carries user:password@; key it by the origin and put credentials in a header`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${key}" is not an http or https origin (${ORIGIN_FORM})`;
  if (key !== url.origin) return `"${key}" is not an origin; write "${url.origin}" (${ORIGIN_FORM})`;
  return undefined;
}

/** The problem with one header of an origin, if any; `seen` holds the lower-cased names before it. */
function checkHeader(name: string, value: unknown, seen: ReadonlySet<string>): string | undefined {
  if (name === '') return 'an empty header name';
  const invalidAt = name.search(NOT_TOKEN_CHARACTER);
  // Named only up to the first character a name cannot hold: a pasted "Authorization: Bearer …"
  // would otherwise put the value into the problem.
  if (invalidAt >= 0) return `header name "${name.slice(0, invalidAt)}…" is not an RFC 9110 token (character ${invalidAt + 1} is not a letter, digit or one of !#$%&'*+-.^_\`|~)`;
  const lower = name.toLowerCase();
  if (CLIENT_SET_HEADERS.has(lower)) return `header ${name} is set by the facilitator client itself`;
  if (seen.has(lower)) return `header ${name} is given twice (header names are case-insensitive)`;
  if (typeof value !== 'string') return `the value of header ${name} must be a string, got ${jsonType(value)}`;
  if (NOT_FIELD_VALUE_CHARACTER.test(value)) return `the value of header ${name} contains CR, LF, NUL or another character a header value cannot carry (a control character, or one beyond U+00FF)`;
  return undefined;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a JSON value is, for a problem message: never the value itself. */
function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
