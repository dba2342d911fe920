import { describe, expect, it } from 'vitest';
import { bodyFraming, fitsRequestBodyLimit, requestBodyFacts } from './body-capture.js';
import { REQUEST_BODY_LIMIT } from './types.js';

const bytes = (n: number, at = (i: number) => 97 + (i % 26)) => Uint8Array.from({ length: n }, (_, i) => at(i));

describe('requestBodyFacts', () => {
  it('sends a body within the limit as it is', () => {
    expect(requestBodyFacts(Buffer.from('{"max_tokens":5}'))).toEqual({ body: '{"max_tokens":5}' });
  });

  it('cuts a longer body to the limit and flags it', () => {
    const facts = requestBodyFacts(bytes(REQUEST_BODY_LIMIT + 1));
    expect(facts.body.length).toBe(REQUEST_BODY_LIMIT);
    expect(facts.bodyTruncated).toBe(true);
  });
});

describe('bodyFraming', () => {
  it.each([
    [{ 'content-length': '12' }, { kind: 'sized', bytes: 12 }, true],
    [{ 'content-length': String(REQUEST_BODY_LIMIT + 1) }, { kind: 'sized', bytes: REQUEST_BODY_LIMIT + 1 }, false],
    [{ 'transfer-encoding': 'chunked' }, { kind: 'chunked' }, false],
    [{ 'content-length': 'twelve' }, { kind: 'chunked' }, false],
    [{}, { kind: 'undeclared' }, false],
  ])('%j → %j', (headers, framing, fits) => {
    expect(bodyFraming(headers)).toEqual(framing);
    expect(fitsRequestBodyLimit(bodyFraming(headers))).toBe(fits);
  });
});
