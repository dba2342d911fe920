import { describe, expect, it } from 'vitest';
import { REQUEST_BODY_LIMIT } from '../types.js';
import { INVALID_REQUEST, MCP_BATCH_LIMIT, PARSE_ERROR, readMcpBody } from './jsonrpc.js';
import { compilePriceList, priceOf, totalPrice } from './pricing.js';

const read = (body: string | undefined, truncated = false) => readMcpBody(body, truncated);

describe('reading an MCP body', () => {
  it('reads a request, its tool, a notification and a response', () => {
    expect(read('{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"search","arguments":{}}}')).toEqual({
      ok: true,
      batch: false,
      messages: [{ kind: 'request', id: 'a', method: 'tools/call', tool: 'search' }],
    });
    expect(read('[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":4,"error":{"code":-1,"message":"no"}}]')).toEqual({
      ok: true,
      batch: true,
      messages: [{ kind: 'notification', method: 'notifications/initialized' }, { kind: 'response' }],
    });
  });

  it.each([
    [undefined, PARSE_ERROR, 'no body'],
    ['', PARSE_ERROR, 'no body'],
    ['{"jsonrpc":"2.0",', PARSE_ERROR, 'not JSON'],
    ['"tools/call"', INVALID_REQUEST, 'not a JSON-RPC message object'],
    ['null', INVALID_REQUEST, 'not a JSON-RPC message object'],
    ['{"id":1,"method":"ping"}', INVALID_REQUEST, 'jsonrpc is not "2.0"'],
    ['{"jsonrpc":"2.0","id":1,"method":7}', INVALID_REQUEST, 'method is not'],
    ['{"jsonrpc":"2.0","id":1.5,"method":"ping"}', INVALID_REQUEST, 'id is not a string or an integer'],
    ['{"jsonrpc":"2.0","id":true,"method":"ping"}', INVALID_REQUEST, 'id is not a string or an integer'],
    ['{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":["search"]}}', INVALID_REQUEST, 'no string params.name'],
    ['{"jsonrpc":"2.0","id":1}', INVALID_REQUEST, 'neither a request'],
    ['{"jsonrpc":"2.0","id":1,"result":{},"error":{}}', INVALID_REQUEST, 'neither a request'],
    ['{"jsonrpc":"2.0","id":{},"result":{}}', INVALID_REQUEST, 'a response id'],
    ['[]', INVALID_REQUEST, 'the batch is empty'],
    ['[{"jsonrpc":"2.0","id":1,"method":"ping"},[]]', INVALID_REQUEST, 'batch element 1: not a JSON-RPC message object'],
  ])('refuses %j with %i', (body, code, cause) => {
    const result = read(body);
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok ? '' : result.cause).toContain(cause);
  });

  it('reads a batch of MCP_BATCH_LIMIT messages, and refuses one more', () => {
    const ping = '{"jsonrpc":"2.0","method":"notifications/progress"}';
    const batch = (n: number) => `[${Array.from({ length: n }, () => ping).join(',')}]`;
    expect(read(batch(MCP_BATCH_LIMIT))).toMatchObject({ ok: true, batch: true });
    expect(read(batch(MCP_BATCH_LIMIT + 1))).toMatchObject({ ok: false, code: INVALID_REQUEST, cause: `the batch holds more than ${String(MCP_BATCH_LIMIT)} messages` });
  });

  it('refuses a body cut by the gateway, or longer than it delivers, in bytes', () => {
    const ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    expect(read(ping, true)).toMatchObject({ ok: false, code: INVALID_REQUEST });
    // Unread (bodyTruncated without a body): the Kong plugin server and the APISIX runner read only a declared length.
    expect(read(undefined, true)).toMatchObject({ ok: false, code: INVALID_REQUEST, cause: expect.stringContaining('did not read the whole body') as unknown });
    // Within the limit in UTF-16 code units, beyond it in UTF-8 bytes.
    const wide = `{"jsonrpc":"2.0","id":"${'é'.repeat(REQUEST_BODY_LIMIT / 2)}","method":"ping"}`;
    expect(wide.length).toBeLessThan(REQUEST_BODY_LIMIT);
    expect(read(wide)).toMatchObject({ ok: false, code: INVALID_REQUEST });
  });
});

describe('pricing MCP messages', () => {
  const list = compilePriceList({ tools: { search: 2 }, methods: { 'tools/call': 5, 'tools/list': 0, 'notifications/progress': 1 } }, 7);

  it('prices a tool, then the method, then the default; notifications by method or nothing; responses nothing', () => {
    expect(priceOf({ kind: 'request', id: 1, method: 'tools/call', tool: 'search' }, list)).toBe(2);
    expect(priceOf({ kind: 'request', id: 1, method: 'tools/call', tool: 'other' }, list)).toBe(5);
    expect(priceOf({ kind: 'request', id: 1, method: 'tools/list' }, list)).toBe(0);
    expect(priceOf({ kind: 'request', id: 1, method: 'prompts/get' }, list)).toBe(7);
    expect(priceOf({ kind: 'notification', method: 'notifications/progress' }, list)).toBe(1);
    expect(priceOf({ kind: 'notification', method: 'notifications/initialized' }, list)).toBe(0);
    expect(priceOf({ kind: 'response' }, list)).toBe(0);
  });

  it('never finds a price on the object prototype', () => {
    const bare = compilePriceList({}, 3);
    expect(priceOf({ kind: 'request', id: 1, method: 'constructor' }, bare)).toBe(3);
    expect(priceOf({ kind: 'request', id: 1, method: 'tools/call', tool: '__proto__' }, bare)).toBe(3);
    expect(priceOf({ kind: 'notification', method: 'toString' }, bare)).toBe(0);
  });

  it('sums a batch, and gives up when the sum is no longer exact', () => {
    const request = { kind: 'request', id: 1, method: 'tools/call', tool: 'search' } as const;
    expect(totalPrice([request, request, { kind: 'response' }], list)).toBe(4);
    const huge = compilePriceList({}, Number.MAX_SAFE_INTEGER);
    expect(totalPrice([{ kind: 'request', id: 1, method: 'ping' }], huge)).toBe(Number.MAX_SAFE_INTEGER);
    expect(totalPrice([{ kind: 'request', id: 1, method: 'ping' }, { kind: 'request', id: 2, method: 'ping' }], huge)).toBeUndefined();
  });
});
