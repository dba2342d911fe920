import { describe, expect, it } from 'vitest';
import { facilitatorHeadersFor, parseFacilitatorHeaders } from './facilitator-headers.js';

const SOURCE = 'TOLLGATE_X402_FACILITATOR_HEADERS';
/** In every value and in some keys below: no problem message may contain it. Short enough to fit in JSON.parse's excerpt. */
const SECRET = 'sk-7f3a9c';
const KEY_FORM = 'a key is the facilitator URL as the policy gives it, http(s)://host[:port][/path], with no query, fragment or user:password@';

function problemsOfText(text: string): readonly string[] {
  const parsed = parseFacilitatorHeaders(SOURCE, text);
  if (parsed.ok) throw new Error('expected problems');
  for (const problem of parsed.problems) {
    expect(problem.startsWith(`${SOURCE}: `)).toBe(true);
    expect(problem).not.toContain(SECRET);
  }
  return parsed.problems;
}

function problemsOf(value: unknown): readonly string[] {
  return problemsOfText(JSON.stringify(value));
}

describe('facilitator headers from the environment', () => {
  it('reads headers per facilitator URL, without its trailing slash', () => {
    const parsed = parseFacilitatorHeaders(
      SOURCE,
      JSON.stringify({
        'https://facilitator.example/x402': { Authorization: `Bearer ${SECRET}` },
        'https://x402.example/facilitator/': { 'X-Api-Key': SECRET },
        'http://127.0.0.1:4021': { 'X-Api-Key': SECRET, 'X-Team': 'a b\tc' },
      }),
    );
    expect(parsed).toEqual({
      ok: true,
      headers: new Map([
        ['https://facilitator.example/x402', { Authorization: `Bearer ${SECRET}` }],
        ['https://x402.example/facilitator', { 'X-Api-Key': SECRET }],
        ['http://127.0.0.1:4021', { 'X-Api-Key': SECRET, 'X-Team': 'a b\tc' }],
      ]),
    });
  });

  it.each([undefined, ''])('has no headers when unset or empty (%j)', (text) => {
    expect(parseFacilitatorHeaders(SOURCE, text)).toEqual({ ok: true, headers: new Map() });
  });

  it('refuses text that is not JSON without quoting it (the parser would: a value without quotes)', () => {
    expect(problemsOfText(`{"https://x402.example": {"Authorization": ${SECRET}}}`)).toEqual([
      `${SOURCE}: not valid JSON; expected a JSON object of facilitator URL → {header name: value}, e.g. {"https://x402.example/facilitator": {"Authorization": "Bearer …"}}`,
    ]);
  });

  it.each([
    ['an array', [{ Authorization: SECRET }]],
    ['a string', SECRET],
    ['null', null],
  ])('refuses %s instead of an object', (type, value) => {
    expect(problemsOf(value)).toEqual([`${SOURCE}: expected a JSON object of facilitator URL → {header name: value}, e.g. {"https://x402.example/facilitator": {"Authorization": "Bearer …"}}, got ${type}`]);
  });

  it.each([
    ['a query', `https://x402.example/v2?apiKey=${SECRET}`, 'has a query'],
    ['an empty query', 'https://x402.example/v2?', 'has a query'],
    ['a query that reaches an open redirect', `https://x402.example/r?to=https://${SECRET}.example`, 'has a query'],
    ['a fragment', `https://x402.example/v2#${SECRET}`, 'has a fragment'],
    ['a fragment holding a question mark', `https://x402.example/v2#?${SECRET}`, 'has a fragment'],
    ['user:password@', `https://ops:${SECRET}@x402.example/v2`, 'carries user:password@; put credentials in a header'],
    ['a user name only', `https://${SECRET}@x402.example`, 'carries user:password@; put credentials in a header'],
    ['another scheme', `ftp://x402.example/${SECRET}`, 'is not http(s)'],
  ])('refuses a key with %s, naming it only by its origin', (_, key, wrong) => {
    const origin = new URL(key).origin;
    expect(problemsOf({ [key]: { Authorization: 'Bearer x' } })).toEqual([`${SOURCE}: the key for ${origin} ${wrong}; ${KEY_FORM}`]);
  });

  it('refuses a key with user:password@, a query and a fragment with one problem each', () => {
    expect(problemsOf({ [`https://ops:${SECRET}@x402.example/v2?${SECRET}#${SECRET}`]: { Authorization: 'Bearer x' } })).toEqual([
      `${SOURCE}: the key for https://x402.example carries user:password@; put credentials in a header; ${KEY_FORM}`,
      `${SOURCE}: the key for https://x402.example has a query; ${KEY_FORM}`,
      `${SOURCE}: the key for https://x402.example has a fragment; ${KEY_FORM}`,
    ]);
  });

  it.each([
    ['a host without a scheme', `x402.example/${SECRET}`, 'is not a URL'],
    ['text with a space', `Bearer ${SECRET}`, 'is not a URL'],
    ['a scheme of its own, whose origin is null', `${SECRET}:x402.example`, 'is not http(s)'],
  ])('names a key that is %s by its position, never by its text', (_, key, wrong) => {
    const headers = { Authorization: 'Bearer x' };
    expect(problemsOf({ 'https://x402.example': headers, [key]: headers })).toEqual([`${SOURCE}: the 2nd key ${wrong}; ${KEY_FORM}`]);
  });

  it.each([
    ['an upper-case host', 'https://X402.example/v2'],
    ['a default port', 'https://x402.example:443/v2'],
    ['a dot segment', 'https://x402.example/a/../v2'],
    ['a character the path percent-encodes', 'https://x402.example/v 2'],
    ['a backslash', 'https://x402.example\\v2'],
  ])('refuses a key with %s, as no policy URL could equal it', (_, key) => {
    expect(problemsOf({ [key]: { Authorization: SECRET } })).toEqual([
      `${SOURCE}: the key for https://x402.example is not written as new URL() writes it (lower-case scheme and host, no default port, no . or .. segments, percent-encoded): the offer's facilitator URL must equal it character for character`,
    ]);
  });

  it('refuses the same facilitator URL twice, with and without a trailing slash', () => {
    expect(problemsOf({ 'https://x402.example/v2': { Authorization: SECRET }, 'https://x402.example/v2/': { 'X-Api-Key': SECRET } })).toEqual([
      `${SOURCE}: the key for https://x402.example is given twice (a trailing slash is ignored)`,
    ]);
  });

  it('refuses a key whose headers are not an object', () => {
    expect(problemsOf({ 'https://x402.example': `Bearer ${SECRET}` })).toEqual([
      `${SOURCE}: the headers for https://x402.example must be a JSON object of header name → value, got a string`,
    ]);
  });

  it('names a key with a path by its origin in the problems of its headers', () => {
    expect(problemsOf({ [`https://x402.example/${SECRET}`]: { 'X-Api-Key': 7 } })).toEqual([
      `${SOURCE}: https://x402.example: the value of header X-Api-Key must be a string, got a number`,
    ]);
  });

  it.each([
    ['a space', 'X Api Key', '"X…"', 'character 2'],
    ['a pasted header line', `Authorization: Bearer ${SECRET}`, '"Authorization…"', 'character 14'],
    ['a non-ASCII letter', 'Clé', '"Cl…"', 'character 3'],
  ])('refuses a header name with %s, naming it only up to that character', (_, name, named, where) => {
    expect(problemsOf({ 'https://x402.example': { [name]: SECRET } })).toEqual([
      `${SOURCE}: https://x402.example: header name ${named} is not an RFC 9110 token (${where} is not a letter, digit or one of !#$%&'*+-.^_\`|~)`,
    ]);
  });

  it('refuses an empty header name', () => {
    expect(problemsOf({ 'https://x402.example': { '': SECRET } })).toEqual([`${SOURCE}: https://x402.example: an empty header name`]);
  });

  it.each([
    ['a number', 42, 'a number'],
    ['an object', { token: SECRET }, 'an object'],
    ['null', null, 'null'],
  ])('refuses a value that is %s', (_, value, type) => {
    expect(problemsOf({ 'https://x402.example': { 'X-Api-Key': value } })).toEqual([`${SOURCE}: https://x402.example: the value of header X-Api-Key must be a string, got ${type}`]);
  });

  it.each([
    ['CR', `Bearer ${SECRET}\r`],
    ['LF', `Bearer ${SECRET}\nX-Injected: 1`],
    ['NUL', `Bearer ${SECRET}\u0000`],
    ['another control character', `Bearer ${SECRET}\u001b`],
    ['a character beyond U+00FF', `Bearer ${SECRET}€`],
  ])('refuses a value with %s, without repeating it', (_, value) => {
    expect(problemsOf({ 'https://x402.example': { Authorization: value } })).toEqual([
      `${SOURCE}: https://x402.example: the value of header Authorization contains CR, LF, NUL or another character a header value cannot carry (a control character, or one beyond U+00FF)`,
    ]);
  });

  it.each(['Content-Type', 'content-type', 'Content-Length', 'Host', 'Connection'])('refuses %s, which the client sets itself', (name) => {
    expect(problemsOf({ 'https://x402.example': { [name]: SECRET } })).toEqual([`${SOURCE}: https://x402.example: header ${name} is set by the facilitator client itself`]);
  });

  // Node 20's fetch (undici) throws on these before connecting: every call would be `unavailable`.
  it.each(['Transfer-Encoding', 'Keep-Alive', 'keep-alive', 'Upgrade', 'Expect'])('refuses %s, which fetch refuses to send', (name) => {
    expect(problemsOf({ 'https://x402.example': { [name]: SECRET } })).toEqual([`${SOURCE}: https://x402.example: header ${name} is refused by Node's fetch (every call would fail)`]);
  });

  it('refuses a header given twice in different cases (fetch would join the values)', () => {
    expect(problemsOf({ 'https://x402.example': { Authorization: SECRET, authorization: SECRET } })).toEqual([
      `${SOURCE}: https://x402.example: header authorization is given twice (header names are case-insensitive)`,
    ]);
  });

  it('lists every problem of every key at once, and nothing for a valid key among them', () => {
    expect(
      problemsOf({
        [`https://a.example/?${SECRET}`]: { Authorization: SECRET },
        'https://b.example': { 'Content-Type': 'text/plain', 'X-Api-Key': 7 },
        'https://c.example': { Authorization: `Bearer ${SECRET}` },
      }),
    ).toEqual([
      `${SOURCE}: the key for https://a.example has a query; ${KEY_FORM}`,
      `${SOURCE}: https://b.example: header Content-Type is set by the facilitator client itself`,
      `${SOURCE}: https://b.example: the value of header X-Api-Key must be a string, got a number`,
    ]);
  });
});

describe('which facilitator gets which headers', () => {
  const parsed = parseFacilitatorHeaders(SOURCE, JSON.stringify({ 'https://x402.example/v2': { 'X-Api-Key': 'a' }, 'http://localhost:4021/': { 'X-Api-Key': 'b' } }));
  const headers = parsed.ok ? parsed.headers : new Map();

  it.each([
    ['https://x402.example/v2', { 'X-Api-Key': 'a' }],
    ['https://x402.example/v2/', { 'X-Api-Key': 'a' }],
    ['https://x402.example/v2//', { 'X-Api-Key': 'a' }],
    ['http://localhost:4021', { 'X-Api-Key': 'b' }],
    ['http://localhost:4021/', { 'X-Api-Key': 'b' }],
  ])('sends the headers of its key to %s', (url, expected) => {
    expect(facilitatorHeadersFor(headers, url)).toEqual(expected);
  });

  it.each([
    ['another host', 'https://attacker.example/v2'],
    ['a host that ends like it', 'https://evil-x402.example/v2'],
    ['a host under it', 'https://x402.example.attacker.example/v2'],
    ['another scheme', 'http://x402.example/v2'],
    ['another port', 'https://x402.example:8443/v2'],
    ['another name for the same address', 'http://127.0.0.1:4021'],
    ['user info that looks like the key', 'https://x402.example@attacker.example/v2'],
    // The same origin, where an open redirect would take the headers on (fetch follows redirects).
    ['a path under it', 'https://x402.example/v2/redirect'],
    ['a path beside it', 'https://x402.example/v3'],
    ['its origin alone', 'https://x402.example'],
    ['a query', 'https://x402.example/v2?to=https://attacker.example'],
    ['an empty query', 'https://x402.example/v2?'],
    ['a query on an origin key', 'http://localhost:4021/?to=https://attacker.example'],
    ['a fragment', 'https://x402.example/v2#x'],
    ['another spelling of it', 'https://X402.example:443/v2'],
    ['a dot segment', 'https://x402.example/v2/x/..'],
    ['a URL that does not parse', 'not a url'],
  ])('sends nothing to %s', (_, url) => {
    expect(facilitatorHeadersFor(headers, url)).toBeUndefined();
  });
});
