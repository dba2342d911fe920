// APISIX's request semantics as the harness models them; cases mirror APISIX's own tests
// (t/plugin/ext-plugin/http-req-call.t) where one exists.
import { describe, expect, it } from 'vitest';
import { applyStop, encodeArgs, headersFrom, parseArgs, uriSafeEncode } from './http-model.js';
import { applyProxyRewrite, applyRewrite, callRequest, clientState, upstreamRequest, type RequestState } from './request-state.js';

function upstream(query: string, headers: [string, string][] = []): RequestState {
  return clientState('GET', `/plugin_proxy_rewrite_args${query === '' ? '' : `?${query}`}`, headersFrom(headers));
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
    expect(upstreamRequest(result).uri).toBe('/plugin_proxy_rewrite_args%3Fa=2');
    expect(uriSafeEncode('/a b/ü#')).toBe('/a%20b/%C3%BC%23');
  });

  it('keeps the query after a path-only rewrite from 3.16.0, drops it before', () => {
    const action = { kind: 'rewrite', path: '/new', headers: [], args: [], respHeaders: [] } as const;
    expect(upstreamRequest(applyRewrite(upstream('a=1'), action, new Map(), 'keep')).uri).toBe('/new?a=1');
    expect(upstreamRequest(applyRewrite(upstream('a=1'), action, new Map(), 'drop-unless-args-rewritten')).uri).toBe('/new');
    expect(upstreamRequest(applyRewrite(upstream('a=1'), { ...action, args: [{ name: 'a', value: '1' }] }, new Map(), 'drop-unless-args-rewritten')).uri).toBe('/new?a=1');
  });

  it('sends the client URI untouched until something changes it, then $uri escaped with $args', () => {
    expect(upstreamRequest(clientState('GET', '/a%2Fb%41?x=%2f', new Map())).uri).toBe('/a%2Fb%41?x=%2f');
    const args = { kind: 'rewrite', headers: [], args: [{ name: 'y', value: '1 2' }], respHeaders: [] } as const;
    expect(upstreamRequest(applyRewrite(clientState('GET', '/a%20b?x=1', new Map()), args, new Map(), 'keep')).uri).toBe('/a%20b?x=1&y=1%202');
  });
});

describe('proxy-rewrite (uri, regex_uri) before ext-plugin-post-req', () => {
  const client = () => clientState('GET', '/orders/a%20b?customerId=7&debug=1', new Map());

  it('writes $upstream_uri with the current query; the call gets its path and args', () => {
    const rewritten = applyProxyRewrite(client(), { regexUri: ['^(/.*)', '/api$1'] });
    expect(rewritten.upstreamUri).toBe('/api/orders/a%20b?customerId=7&debug=1');
    expect(callRequest(rewritten)).toMatchObject({ path: '/api/orders/a%20b', argsText: 'customerId=7&debug=1' });
    expect(applyProxyRewrite(client(), { uri: '/v2/x?fixed=1' }).upstreamUri).toBe('/v2/x?fixed=1&customerId=7&debug=1');
  });

  it('sends $upstream_uri verbatim: an args-only Rewrite never reaches the upstream, one with a path does', () => {
    const call = callRequest(applyProxyRewrite(client(), { uri: '/api' }));
    const argsOnly = { kind: 'rewrite', headers: [], args: [{ name: 'debug' }, { name: 'format', value: 'json' }], respHeaders: [] } as const;
    expect(upstreamRequest(applyRewrite(call, argsOnly, new Map(), 'keep')).uri).toBe('/api?customerId=7&debug=1');
    expect(upstreamRequest(applyRewrite(call, { ...argsOnly, path: '/api' }, new Map(), 'keep')).uri).toBe('/api?customerId=7&format=json');
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
