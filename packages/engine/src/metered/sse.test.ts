import { describe, expect, it } from 'vitest';
import { sseEvents } from './sse.js';

describe('SSE events of a captured body', () => {
  it('parses a whole stream: event names, multi-line data, comments, CRLF', () => {
    const head = ': keep-alive\r\n\r\nevent: ping\r\ndata: {}\r\n\r\ndata: one\ndata: two\n\ndata:three\n\n';
    expect(sseEvents({ head, tail: '', size: head.length })).toEqual([
      { event: 'ping', data: '{}' },
      { event: 'message', data: 'one\ntwo' },
      { event: 'message', data: 'three' },
    ]);
  });

  it('drops an event the stream ended in the middle of', () => {
    const head = 'data: a\n\ndata: b';
    expect(sseEvents({ head, tail: '', size: head.length })).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('skips the cut blocks where head and tail meet', () => {
    const head = 'data: first\n\ndata: cut-in-hea';
    const tail = 'd-of-the-tail\n\ndata: last\n\ndata: [DONE]\n\n';
    expect(sseEvents({ head, tail, size: 100_000 })).toEqual([
      { event: 'message', data: 'first' },
      { event: 'message', data: 'last' },
      { event: 'message', data: '[DONE]' },
    ]);
  });
});
