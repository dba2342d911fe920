import { describe, expect, it } from 'vitest';
import { facilitatorHeadersFor, parseFacilitatorHeaders } from './facilitator-headers.js';

const SOURCE = 'TOLLGATE_X402_FACILITATOR_HEADERS';
/** In every value below: no problem message may contain it. Short enough to fit in JSON.parse's excerpt. */
const SECRET = 'sk-7f3a9c';

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
  it('reads headers per origin', () => {
    const parsed = parseFacilitatorHeaders(
      SOURCE,
      JSON.stringify({ 'https://x402.example': { Authorization: `Bearer ${SECRET}` }, 'http://127.0.0.1:4021': { 'X-Api-Key': SECRET, 'X-Team': 'a b\tc' } }),
    );
    expect(parsed).toEqual({
      ok: true,
      headers: new Map([
        ['https://x402.example', { Authorization: `Bearer ${SECRET}` }],
        ['http://127.0.0.1:4021', { 'X-Api-Key': SECRET, 'X-Team': 'a b\tc' }],
      ]),
    });
  });

  it.each([undefined, ''])('has no headers when unset or empty (%j)', (text) => {
    expect(parseFacilitatorHeaders(SOURCE, text)).toEqual({ ok: true, headers: new Map() });
  });

  it('refuses text that is not JSON without quoting it (the parser would: a value without quotes)', () => {
    expect(problemsOfText(`{"https://x402.example": {"Authorization": ${SECRET}}}`)).toEqual([expect.stringMatching(/not valid JSON; expected a JSON object of facilitator origin/)]);
  });

  it.each([
    ['an array', [{ Authorization: SECRET }]],
    ['a string', SECRET],
    ['null', null],
  ])('refuses %s instead of an object', (type, value) => {
    expect(problemsOf(value)).toEqual([expect.stringContaining(`got ${type}`)]);
  });

  it.each([
    ['https://x402.example/', 'write "https://x402.example"'],
    ['https://x402.example/facilitator', 'write "https://x402.example"'],
    ['https://X402.example', 'write "https://x402.example"'],
    ['https://x402.example:443', 'write "https://x402.example"'],
    ['x402.example', 'scheme://host[:port]'],
    ['ftp://x402.example', 'not an http or https origin'],
  ])('refuses the key %s, which is not an origin, and says what one looks like', (key, hint) => {
    const [problem] = problemsOf({ [key]: { Authorization: SECRET } });
    expect(problem).toContain(`"${key}"`);
    expect(problem).toContain(hint);
  });

  it('refuses a key with user:password@ without repeating it', () => {
    const [problem, ...others] = problemsOf({ [`https://ops:${SECRET}@x402.example`]: { Authorization: 'Bearer x' } });
    expect(others).toEqual([]);
    expect(problem).toContain('https://x402.example carries user:password@');
  });

  it('refuses an origin whose headers are not an object', () => {
    expect(problemsOf({ 'https://x402.example': `Bearer ${SECRET}` })).toEqual([
      `${SOURCE}: the headers for https://x402.example must be a JSON object of header name → value, got a string`,
    ]);
  });

  it.each([
    ['a space', 'X Api Key', '"X…"', 'character 2'],
    ['a pasted header line', `Authorization: Bearer ${SECRET}`, '"Authorization…"', 'character 14'],
    ['a non-ASCII letter', 'Clé', '"Cl…"', 'character 3'],
  ])('refuses a header name with %s, naming it only up to that character', (_, name, named, where) => {
    const [problem] = problemsOf({ 'https://x402.example': { [name]: SECRET } });
    expect(problem).toContain(`https://x402.example: header name ${named} is not an RFC 9110 token (${where}`);
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
      expect.stringMatching(/^TOLLGATE_X402_FACILITATOR_HEADERS: https:\/\/x402\.example: the value of header Authorization contains CR, LF, NUL or another character/),
    ]);
  });

  it.each(['Content-Type', 'content-type', 'Content-Length', 'Host'])('refuses %s, which the client sets itself', (name) => {
    expect(problemsOf({ 'https://x402.example': { [name]: SECRET } })).toEqual([`${SOURCE}: https://x402.example: header ${name} is set by the facilitator client itself`]);
  });

  it('refuses a header given twice in different cases (fetch would join the values)', () => {
    expect(problemsOf({ 'https://x402.example': { Authorization: SECRET, authorization: SECRET } })).toEqual([
      `${SOURCE}: https://x402.example: header authorization is given twice (header names are case-insensitive)`,
    ]);
  });

  it('lists every problem of every origin at once', () => {
    const problems = problemsOf({
      'https://a.example/': { Authorization: SECRET },
      'https://b.example': { 'Content-Type': 'text/plain', 'X-Api-Key': 7 },
      'https://c.example': { Authorization: `Bearer ${SECRET}` },
    });
    expect(problems).toHaveLength(3);
  });
});

describe('which facilitator gets which headers', () => {
  const parsed = parseFacilitatorHeaders(SOURCE, JSON.stringify({ 'https://x402.example': { Authorization: 'Bearer a' }, 'http://localhost:4021': { 'X-Api-Key': 'b' } }));
  const headers = parsed.ok ? parsed.headers : new Map();

  it.each([
    ['https://x402.example', { Authorization: 'Bearer a' }],
    ['https://x402.example/facilitator/', { Authorization: 'Bearer a' }],
    ['https://X402.example:443/v2', { Authorization: 'Bearer a' }],
    ['http://localhost:4021', { 'X-Api-Key': 'b' }],
  ])('sends the headers of its origin to %s', (url, expected) => {
    expect(facilitatorHeadersFor(headers, url)).toEqual(expected);
  });

  it.each([
    ['another host', 'https://attacker.example'],
    ['a host that ends like it', 'https://evil-x402.example'],
    ['a host under it', 'https://x402.example.attacker.example'],
    ['another scheme', 'http://x402.example'],
    ['another port', 'https://x402.example:8443'],
    ['another name for the same address', 'http://127.0.0.1:4021'],
    ['user info that looks like the origin', 'https://x402.example@attacker.example'],
    ['a URL that does not parse', 'not a url'],
  ])('sends nothing to %s', (_, url) => {
    expect(facilitatorHeadersFor(headers, url)).toBeUndefined();
  });
});
