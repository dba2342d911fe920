// APISIX's request semantics as the harness models them; cases mirror APISIX's own tests
// (t/plugin/ext-plugin/http-req-call.t) where one exists.
import { describe, expect, it } from 'vitest';
import { applyRewrite, applyStop, encodeArgs, headersFrom, parseArgs, uriSafeEncode, type UpstreamRequest } from './http-model.js';

function upstream(query: string, headers: [string, string][] = []): UpstreamRequest {
  return { method: 'GET', path: '/plugin_proxy_rewrite_args', args: parseArgs(query), uri: '', host: undefined, headers: headersFrom(headers) };
}

describe('args', () => {
  it('parses like ngx.req.get_uri_args', () => {
    expect([...parseArgs('xx=y&xx=z&y=&z&&a+b=c%20d&=skip')]).toEqual([
      ['xx', ['y', 'z']],
      ['y', ['']],
      ['z', [true]],
      ['a b', ['c d']],
    ]);
  });

  it('encodes value-less args bare', () => {
    expect(encodeArgs(parseArgs('z&y=&x=1'))).toBe('z&y=&x=1');
  });

  it('applies Rewrite args: delete, replace on first, append on repeats (APISIX test "rewrite args")', () => {
    const result = applyRewrite(upstream('c=foo&d=bar'), { kind: 'rewrite', headers: [], respHeaders: [], args: [{ name: 'a', value: 'foo' }, { name: 'd' }, { name: 'c', value: 'bar' }, { name: 'a', value: 'bar' }] }, new Map(), 'keep');
    expect(Object.fromEntries(result.args)).toEqual({ a: ['foo', 'bar'], c: ['bar'] });
  });
});

describe('paths', () => {
  it('encodes a ? in a rewritten path (APISIX test "rewrite, bad path")', () => {
    const result = applyRewrite(upstream(''), { kind: 'rewrite', path: '/plugin_proxy_rewrite_args?a=2', headers: [], args: [], respHeaders: [] }, new Map(), 'keep');
    expect(result.uri).toBe('/plugin_proxy_rewrite_args%3Fa=2');
    expect(uriSafeEncode('/a b/ü#')).toBe('/a%20b/%C3%BC%23');
  });

  it('keeps the query after a path-only rewrite from 3.16.0, drops it before', () => {
    const action = { kind: 'rewrite', path: '/new', headers: [], args: [], respHeaders: [] } as const;
    expect(applyRewrite(upstream('a=1'), action, new Map(), 'keep').uri).toBe('/new?a=1');
    expect(applyRewrite(upstream('a=1'), action, new Map(), 'drop-unless-args-rewritten').uri).toBe('/new');
    expect(applyRewrite(upstream('a=1'), { ...action, args: [{ name: 'a', value: '1' }] }, new Map(), 'drop-unless-args-rewritten').uri).toBe('/new?a=1');
  });
});

describe('headers', () => {
  it('sets, deletes and replaces request headers case-insensitively; host moves the upstream host', () => {
    const result = applyRewrite(
      upstream('', [['X-Delete', '1'], ['X-Change', 'a'], ['X-Change', 'b'], ['Host', 'old']]),
      { kind: 'rewrite', headers: [{ name: 'x-delete' }, { name: 'X-CHANGE', value: 'c' }, { name: 'x-add', value: 'd' }, { name: 'Host', value: 'new' }], args: [], respHeaders: [] },
      new Map(),
      'keep',
    );
    expect(Object.fromEntries(result.headers)).toEqual({ 'x-change': ['c'], host: ['new'], 'x-add': ['d'] });
    expect(result.host).toBe('new');
  });

  it('drops vital response headers and keeps repeats (resp_headers)', () => {
    const response = new Map<string, string[]>();
    applyRewrite(upstream(''), { kind: 'rewrite', headers: [], args: [], respHeaders: [{ name: 'X-Resp', value: '1' }, { name: 'x-resp', value: '2' }, { name: 'Content-Type', value: 'text/evil' }, { name: 'Location', value: '/x' }] }, response, 'keep');
    expect(Object.fromEntries(response)).toEqual({ 'x-resp': ['1', '2'] });
  });

  it('Stop: status 0 becomes 200, an empty body is no body, duplicate headers add', () => {
    const stop = applyStop({ kind: 'stop', status: 0, headers: [{ name: 'X-Same', value: 'a' }, { name: 'x-same', value: 'b' }], body: new Uint8Array(0) });
    expect(stop).toEqual({ status: 200, headers: new Map([['x-same', ['a', 'b']]]) });
  });
});
