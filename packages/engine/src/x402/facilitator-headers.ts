// Headers the operator gives the facilitators it has accounts with (`Authorization: Bearer …`,
// `X-Api-Key: …`), from the environment: a JSON object keyed by facilitator URL, e.g.
//   {"https://facilitator.example/x402": {"Authorization": "Bearer abc"}}
// They are sent only to an offer whose facilitator URL equals a key, a trailing slash aside on
// either side: the URL comes from the policy, and a policy author who points an offer at their own
// server must not receive the operator's credentials. An origin would not be enough: the
// facilitator client follows redirects, and fetch forwards every header but Authorization (and
// cookies) to another origin, so a policy URL on the trusted origin whose path or query reaches an
// open redirect there (https://x402.example/r?to=https://evil.example) would carry them away.
// So a key has no query, no fragment and no user:password@, and is written as new URL() writes it:
// the only URLs that get its headers are the key's own /verify, /settle and /supported. That the
// facilitator at the key does not redirect elsewhere is the operator's trust in it.
// Problems never repeat a header value, nor a key beyond its origin (its path, query, fragment or
// user info may hold a secret); a key that does not parse is named by its position.

/** Headers per facilitator URL, keyed by its facilitatorBase. */
export type FacilitatorHeaders = ReadonlyMap<string, Readonly<Record<string, string>>>;

export const NO_FACILITATOR_HEADERS: FacilitatorHeaders = new Map();

export type FacilitatorHeadersParse = { readonly ok: true; readonly headers: FacilitatorHeaders } | { readonly ok: false; readonly problems: readonly string[] };

/** A facilitator URL without its trailing slashes: what the client appends /verify and /settle to. */
export function facilitatorBase(url: string): string {
  return url.replace(/\/+$/, '');
}

/** RFC 9110 §5.6.2 token characters. */
const NOT_TOKEN_CHARACTER = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** What an RFC 9110 field value may hold (HTAB, SP, VCHAR, obs-text) and fetch can send (Latin-1). */
const NOT_FIELD_VALUE_CHARACTER = /[^\t\x20-\x7e\x80-\xff]/;
const SET_BY_CLIENT = 'is set by the facilitator client itself';
/** Node 20's fetch (undici) throws on these before connecting. */
const REFUSED_BY_FETCH = "is refused by Node's fetch (every call would fail)";
/** Header names (lower case) an operator cannot give, and why. */
const REFUSED_HEADERS: ReadonlyMap<string, string> = new Map([
  ['content-type', SET_BY_CLIENT],
  ['content-length', SET_BY_CLIENT],
  ['host', SET_BY_CLIENT],
  ['connection', SET_BY_CLIENT],
  ['transfer-encoding', REFUSED_BY_FETCH],
  ['keep-alive', REFUSED_BY_FETCH],
  ['upgrade', REFUSED_BY_FETCH],
  ['expect', REFUSED_BY_FETCH],
]);
const EXPECTED = 'a JSON object of facilitator URL → {header name: value}, e.g. {"https://x402.example/facilitator": {"Authorization": "Bearer …"}}';
const KEY_FORM = 'a key is the facilitator URL as the policy gives it, http(s)://host[:port][/path], with no query, fragment or user:password@';
const NOT_CANONICAL =
  "is not written as new URL() writes it (lower-case scheme and host, no default port, no . or .. segments, percent-encoded): the offer's facilitator URL must equal it character for character";
const ORDINAL = new Intl.PluralRules('en', { type: 'ordinal' });
const ORDINAL_SUFFIX: Readonly<Record<Intl.LDMLPluralRule, string>> = { zero: 'th', one: 'st', two: 'nd', few: 'rd', many: 'th', other: 'th' };

/** A key checked: its facilitatorBase and origin (how problems name it), or what is wrong with it. */
type CheckedKey = { readonly ok: true; readonly base: string; readonly origin: string } | { readonly ok: false; readonly problems: readonly string[] };

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
  const bases = new Set<string>();
  for (const [index, [written, value]] of Object.entries(parsed).entries()) {
    const key = checkKey(written, index + 1);
    if (!key.ok) {
      problems.push(...key.problems.map((problem) => `${source}: ${problem}`));
      continue;
    }
    if (bases.has(key.base)) {
      problems.push(`${source}: the key for ${key.origin} is given twice (a trailing slash is ignored)`);
      continue;
    }
    bases.add(key.base);
    if (!isJsonObject(value)) {
      problems.push(`${source}: the headers for ${key.origin} must be a JSON object of header name → value, got ${jsonType(value)}`);
      continue;
    }
    const seen = new Set<string>();
    const before = problems.length;
    for (const [name, headerValue] of Object.entries(value)) {
      const headerProblem = checkHeader(name, headerValue, seen);
      if (headerProblem !== undefined) problems.push(`${source}: ${key.origin}: ${headerProblem}`);
      seen.add(name.toLowerCase());
    }
    if (problems.length === before) headers.set(key.base, Object.freeze({ ...(value as Record<string, string>) }));
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, headers };
}

/** The headers for the facilitator at `url`, when it is one of the keys. */
export function facilitatorHeadersFor(headers: FacilitatorHeaders, url: string): Readonly<Record<string, string>> | undefined {
  return headers.get(facilitatorBase(url));
}

/** `position` counts from 1: it names a key that does not parse, or whose origin is null. */
function checkKey(key: string, position: number): CheckedKey {
  const byPosition = `the ${ordinal(position)} key`;
  if (!URL.canParse(key)) return { ok: false, problems: [`${byPosition} is not a URL; ${KEY_FORM}`] };
  const url = new URL(key);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, problems: [`${url.origin === 'null' ? byPosition : `the key for ${url.origin}`} is not http(s); ${KEY_FORM}`] };
  }
  const named = `the key for ${url.origin}`;
  // The serialisation writes `?` and `#` (even with nothing after them) only to start the query
  // and the fragment: elsewhere it percent-encodes them. A `?` after the `#` is the fragment's.
  const fragmentAt = url.href.indexOf('#');
  const wrong = [
    url.username !== '' || url.password !== '' ? 'carries user:password@; put credentials in a header' : undefined,
    url.href.slice(0, fragmentAt < 0 ? undefined : fragmentAt).includes('?') ? 'has a query' : undefined,
    fragmentAt >= 0 ? 'has a fragment' : undefined,
  ].filter((problem) => problem !== undefined);
  if (wrong.length > 0) return { ok: false, problems: wrong.map((problem) => `${named} ${problem}; ${KEY_FORM}`) };
  const base = facilitatorBase(key);
  if (facilitatorBase(url.href) !== base) return { ok: false, problems: [`${named} ${NOT_CANONICAL}`] };
  return { ok: true, base, origin: url.origin };
}

/** The problem with one header of a key, if any; `seen` holds the lower-cased names before it. */
function checkHeader(name: string, value: unknown, seen: ReadonlySet<string>): string | undefined {
  if (name === '') return 'an empty header name';
  const invalidAt = name.search(NOT_TOKEN_CHARACTER);
  // Named only up to the first character a name cannot hold: a pasted "Authorization: Bearer …"
  // would otherwise put the value into the problem.
  if (invalidAt >= 0) return `header name "${name.slice(0, invalidAt)}…" is not an RFC 9110 token (character ${invalidAt + 1} is not a letter, digit or one of !#$%&'*+-.^_\`|~)`;
  const lower = name.toLowerCase();
  const refused = REFUSED_HEADERS.get(lower);
  if (refused !== undefined) return `header ${name} ${refused}`;
  if (seen.has(lower)) return `header ${name} is given twice (header names are case-insensitive)`;
  if (typeof value !== 'string') return `the value of header ${name} must be a string, got ${jsonType(value)}`;
  if (NOT_FIELD_VALUE_CHARACTER.test(value)) return `the value of header ${name} contains CR, LF, NUL or another character a header value cannot carry (a control character, or one beyond U+00FF)`;
  return undefined;
}

function ordinal(n: number): string {
  return `${n}${ORDINAL_SUFFIX[ORDINAL.select(n)]}`;
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
