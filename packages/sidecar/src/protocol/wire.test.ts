import { describe, expect, it } from 'vitest';
import { REQUEST_BODY_LIMIT, RESPONSE_CAPTURE } from '@tollgate/engine';
import { FrameType, MAX_REQUEST_ID, parseRequest } from './wire.js';

const frame = (body: object) => Buffer.from(JSON.stringify(body));
const DECIDE = { t: 1, m: 'POST', p: '/chat', h: {} };
const COMPLETE = { t: 1, f: 'follow-up', st: 200 };

describe('DECIDE with a request body', () => {
  it('carries the body and whether it was cut or unread', () => {
    expect(parseRequest(FrameType.Decide, frame({ ...DECIDE, b: '{"model":"m"}' }))).toMatchObject({ ok: true, value: { request: { body: '{"model":"m"}', bodyTruncated: false } } });
    expect(parseRequest(FrameType.Decide, frame({ ...DECIDE, bt: true }))).toMatchObject({ ok: true, value: { request: { body: undefined, bodyTruncated: true } } });
    expect(parseRequest(FrameType.Decide, frame(DECIDE))).toMatchObject({ ok: true, value: { request: { body: undefined, bodyTruncated: false } } });
  });

  it.each([
    [{ b: 7 }, 'b must be a string'],
    [{ b: 'x'.repeat(REQUEST_BODY_LIMIT + 1) }, `b is longer than ${String(REQUEST_BODY_LIMIT)}`],
    [{ bt: 'yes' }, 'bt must be a boolean'],
  ])('refuses %j', (members, error) => {
    expect(parseRequest(FrameType.Decide, frame({ ...DECIDE, ...members }))).toEqual({ ok: false, error });
  });
});

describe('COMPLETE with what the adapter observed', () => {
  const { head, tail } = RESPONSE_CAPTURE;

  it('has no response when nothing was observed', () => {
    expect(parseRequest(FrameType.Complete, frame(COMPLETE))).toEqual({ ok: true, value: { kind: 'complete', request: { token: 1, followUp: 'follow-up', status: 200, response: undefined } } });
  });

  it('carries the header, the body copy and the content type', () => {
    const b = { h: 'a'.repeat(head), t: 'z'.repeat(tail), n: 1_000_000 };
    expect(parseRequest(FrameType.Complete, frame({ ...COMPLETE, h: '42', ct: 'text/event-stream', b }))).toMatchObject({
      ok: true,
      value: { request: { response: { header: '42', contentType: 'text/event-stream', body: { head: b.h, tail: b.t, size: 1_000_000 } } } },
    });
  });

  it('takes a body of up to head + tail bytes whole in head', () => {
    const whole = { h: 'a'.repeat(head + tail), t: '', n: head + tail };
    expect(parseRequest(FrameType.Complete, frame({ ...COMPLETE, b: whole }))).toMatchObject({ ok: true, value: { request: { response: { body: { size: head + tail } } } } });
  });

  it.each([
    [{ h: 42 }, 'h must be a string'],
    [{ b: 'body' }, 'b must be an object'],
    [{ b: { h: 'a'.repeat(head + 1), t: 'x', n: 100_000 } }, `b.h is longer than ${String(head)}`],
    [{ b: { h: 'a', t: 'z'.repeat(tail + 1), n: 100_000 } }, `b.t is longer than ${String(tail)}`],
    [{ b: { h: 'abc', t: 'x', n: 4 } }, 'b.t is longer than 0'],
    [{ b: { h: 'abc', t: '', n: 2 } }, 'b.n must be the body size in bytes'],
    [{ b: { h: 'abc', t: '', n: 'three' } }, 'b.n must be the body size in bytes'],
  ])('refuses %j', (members, error) => {
    expect(parseRequest(FrameType.Complete, frame({ ...COMPLETE, ...members }))).toEqual({ ok: false, error });
  });
});

describe('the request number (i) a pipelining adapter sends', () => {
  it.each([1, 42, MAX_REQUEST_ID])('is kept for the answer: %d', (i) => {
    expect(parseRequest(FrameType.Decide, frame({ ...DECIDE, i }))).toMatchObject({ ok: true, value: { id: i, kind: 'decide' } });
    expect(parseRequest(FrameType.Complete, frame({ ...COMPLETE, i }))).toMatchObject({ ok: true, value: { id: i, kind: 'complete' } });
  });

  it('is absent when not sent (the answer then carries none)', () => {
    expect(parseRequest(FrameType.Decide, frame(DECIDE))).toMatchObject({ ok: true, value: { id: undefined } });
  });

  it.each([0, -1, 1.5, MAX_REQUEST_ID + 1, '7', true])('refuses %j', (i) => {
    expect(parseRequest(FrameType.Decide, frame({ ...DECIDE, i }))).toEqual({ ok: false, error: `i must be a request number (an integer from 1 to ${String(MAX_REQUEST_ID)})` });
  });
});

describe("DECIDE's deadline (d), when the adapter stops waiting", () => {
  it.each([0, 1_796_692_345_890, Number.MAX_SAFE_INTEGER])('is read as ms since the epoch: %d', (d) => {
    expect(parseRequest(FrameType.Decide, frame({ ...DECIDE, d }))).toMatchObject({ ok: true, value: { request: { deadline: d } } });
  });

  it('is absent when not sent', () => {
    expect(parseRequest(FrameType.Decide, frame(DECIDE))).toMatchObject({ ok: true, value: { request: { deadline: undefined } } });
  });

  it.each([-1, 1.5, Number.MAX_SAFE_INTEGER + 2, '1796692345890', true])('refuses %j', (d) => {
    expect(parseRequest(FrameType.Decide, frame({ ...DECIDE, d }))).toEqual({ ok: false, error: 'd must be a time in ms since the epoch' });
  });
});
