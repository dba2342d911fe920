import { describe, expect, it } from 'vitest';
import { RESPONSE_CAPTURE } from '../types.js';
import { BodyCapture, captureBody } from './capture.js';

const LIMIT = RESPONSE_CAPTURE.head + RESPONSE_CAPTURE.tail;
/** A text whose every position is distinct enough to show which bytes were kept. */
const text = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * 7 + Math.floor(i / 26)) % 26))).join('');

describe('capturing a response body', () => {
  it('keeps a body of up to head + tail bytes whole in head', () => {
    const body = text(LIMIT);
    expect(captureBody(body)).toEqual({ head: body, tail: '', size: LIMIT });
    expect(captureBody('')).toEqual({ head: '', tail: '', size: 0 });
  });

  it('keeps the first head and last tail bytes of a longer body', () => {
    const body = text(LIMIT + 1);
    expect(captureBody(body)).toEqual({ head: body.slice(0, RESPONSE_CAPTURE.head), tail: body.slice(-RESPONSE_CAPTURE.tail), size: LIMIT + 1 });
  });

  it('gives the same capture whatever the chunks', () => {
    const whole = text(200_000);
    const body = new TextEncoder().encode(whole);
    expect(captureBody(body)).toEqual({ head: whole.slice(0, RESPONSE_CAPTURE.head), tail: whole.slice(-RESPONSE_CAPTURE.tail), size: 200_000 });
    for (const size of [1, 1000, 16_383, 49_153, 70_000]) {
      const capture = new BodyCapture();
      for (let i = 0; i < body.length; i += size) capture.push(body.subarray(i, i + size));
      expect(capture.result()).toEqual(captureBody(body));
    }
  });

  it('counts bytes, not characters', () => {
    const body = 'é'.repeat(LIMIT / 2 + 1);
    const captured = captureBody(body);
    expect(captured.size).toBe(LIMIT + 2);
    expect(captured.head).toBe('é'.repeat(RESPONSE_CAPTURE.head / 2));
    expect(captured.tail).toBe('é'.repeat(RESPONSE_CAPTURE.tail / 2));
  });
});
