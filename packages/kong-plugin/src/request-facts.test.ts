import { describe, expect, it } from 'vitest';
import { createEngine, createMemoryStore, ManualClock, type EngineConfig } from '@tollgate/engine';
import type { KongPdk, Multimap } from './kong-pdk.js';
import { gatherFacts, planFacts } from './request-facts.js';

const base: EngineConfig = {
  version: 1,
  policy: 'p',
  routes: [
    { name: 'r', paths: ['/r'], methods: ['GET', 'POST'] },
    { name: 'other', paths: ['/other'] },
  ],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [],
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
};

describe('planFacts: only the PDK calls a policy needs', () => {
  it.each([
    ['key-auth by consumer', {}, { consumer: true, credential: false, clientIp: false, scheme: false }],
    ['key-auth by credential', { identity: { auth: 'key-auth', limitBy: 'credential' } }, { consumer: true, credential: true, clientIp: false, scheme: false }],
    ['no auth, by IP', { identity: { auth: 'none', limitBy: 'ip' } }, { consumer: false, credential: false, clientIp: true, scheme: false }],
    ['no auth, by header (IP fallback)', { identity: { auth: 'none', limitBy: 'header', header: 'X-Key' } }, { consumer: false, credential: false, clientIp: true, scheme: false }],
    ['x402 offer (absolute resource URL)', { payment: { x402: { price: '0.01' } } }, { consumer: true, credential: false, clientIp: false, scheme: true }],
    [
      'templates naming the consumer and credential, with or without spaces',
      { identity: { auth: 'none', limitBy: 'ip' }, rewrite: { request: { headers: { set: { 'X-C': '{{ consumer }}/{{credential}}' } } } } },
      { consumer: true, credential: true, clientIp: true, scheme: false },
    ],
  ] as const)('%s', (_name, over, expected) => {
    expect(planFacts({ ...base, ...over }, undefined)).toEqual({ ...expected, requestLine: true, body: false, route: undefined });
  });

  it('carries the route the compiler pinned', () => {
    expect(planFacts(base, 'r').route).toBe('r');
  });

  it('reads the body only for an entry that may serve a route whose cost comes from it', () => {
    const metered = { ...base, routes: [{ name: 'r' }, { name: 'chat' }], costs: { metered: { chat: { estimate: { requestField: 'max_tokens', fallback: 10 }, usage: 'openai', prices: { '*': { input: 1, output: 1 } } } } } } as unknown as EngineConfig;
    expect(planFacts(metered, 'chat').body).toBe(true);
    expect(planFacts(metered, 'r').body).toBe(false);
    expect(planFacts(metered, undefined).body).toBe(true);
  });
});

describe('planFacts: the request line', () => {
  const grant = (route: string) => ({ plans: [{ name: 'free', plan: { routes: [{ route, methods: ['GET' as const] }] } }] });
  it.each([
    ['not pinned: the engine finds the route from method, host and path', {}, undefined, true],
    ['pinned, and nothing else reads method, path or query', {}, 'r', false],
    ['pinned, plans granting routes by name only', { plans: [{ name: 'free', plan: { routes: ['r'] } }] }, 'r', false],
    ['pinned, a plan grants this route for some methods only', grant('r'), 'r', true],
    ['pinned, a plan grants another route by method', grant('other'), 'r', false],
    ['pinned, per-method costs', { costs: { methods: { POST: 5 } } }, 'r', true],
    ['pinned, per-method costs this route overrides', { costs: { methods: { POST: 5 }, routes: { r: 2 } } }, 'r', false],
    ['pinned, an x402 offer names the resource URL', { payment: { x402: { price: '0.01' } } }, 'r', true],
    ['pinned, a query rewrite', { rewrite: { request: { query: { remove: ['debug'] } } } }, 'r', true],
    ['pinned, a header template quoting the query', { rewrite: { request: { headers: { set: { 'X-City': '{{ query.city }}' } } } } }, 'r', true],
    ['pinned, an MCP route (only its POSTs are priced by their body)', { costs: { mcp: { r: { tools: { search: 1 } } } } }, 'r', true],
    ['pinned, another route is the MCP route', { costs: { mcp: { other: { tools: { search: 1 } } } } }, 'r', false],
    ['pinned, header rewrites only', { rewrite: { request: { headers: { set: { 'X-Plan': '{{plan}}' }, remove: ['Cookie'] } } } }, 'r', false],
  ] as const)('%s', (_name, over, route, expected) => {
    expect(planFacts({ ...base, ...over } as EngineConfig, route).requestLine).toBe(expected);
  });
});

/** A Kong that answers the fact calls of gatherFacts for one request, and counts them. */
function fakeKong(request: { line: string; headers: Multimap; body?: string; httpVersion?: number }): { kong: KongPdk; calls: string[] } {
  const calls: string[] = [];
  const answer = <T>(name: string, value: T) => {
    calls.push(name);
    return Promise.resolve(value);
  };
  const kong = {
    request: {
      getHeaders: () => answer('get_headers', request.headers),
      getScheme: () => answer('get_scheme', 'https'),
      getRawBody: (max: number) => answer(`get_raw_body(${String(max)})`, Buffer.from(request.body ?? '')),
      getHttpVersion: () => answer('get_http_version', request.httpVersion ?? 1.1),
    },
    nginx: { getVar: (name: string) => answer(`get_var(${name})`, request.line) },
    client: {
      getConsumer: () => answer('get_consumer', { id: 'c-1', username: 'alice' }),
      getCredential: () => answer('get_credential', { id: 'k-1' }),
      getForwardedIp: () => answer('get_forwarded_ip', '203.0.113.7'),
    },
  } as unknown as KongPdk;
  return { kong, calls };
}

describe('gatherFacts: the request body, only what the plugin server can ask for without failing the request', () => {
  const plan = { ...planFacts(base, 'r'), body: true };
  const line = 'POST /r HTTP/1.1';
  it.each([
    ['a body within the limit, by Content-Length', { 'content-length': ['15'] }, 1.1, { body: '{"max_tokens":9' }, ['get_raw_body(1048576)']],
    ['an empty body', { 'content-length': ['0'] }, 1.1, { body: '' }, []],
    ['a body above the limit: unread', { 'content-length': ['2000000'] }, 1.1, { bodyTruncated: true }, []],
    ['a chunked body: unread', { 'transfer-encoding': ['chunked'] }, 1.1, { bodyTruncated: true }, []],
    ['no framing in HTTP/1.1: no body', {}, 1.1, { body: '' }, ['get_http_version']],
    ['no Content-Length in HTTP/2: unread', {}, 2, { bodyTruncated: true }, ['get_http_version']],
  ] as const)('%s', async (_name, headers, httpVersion, expected, bodyCalls) => {
    const { kong, calls } = fakeKong({ line, headers: { host: ['api'], ...headers }, body: '{"max_tokens":9', httpVersion });
    const { facts } = await gatherFacts(kong, plan);
    expect({ body: facts.body, bodyTruncated: facts.bodyTruncated }).toEqual({ body: undefined, bodyTruncated: undefined, ...expected });
    expect(calls.filter((call) => call.startsWith('get_raw_body') || call === 'get_http_version')).toEqual(bodyCalls);
  });
});

describe('a pinned plan without the request line decides exactly as with it', () => {
  const requests = [
    'GET /r HTTP/1.1',
    'POST /r/sub?x=1&debug HTTP/1.1',
    'DELETE /r?q=%20 HTTP/1.1',
    'GET /elsewhere HTTP/2.0',
  ].map((line) => ({ line, headers: { host: ['api.example.com'], 'x-request-id': ['req-9'], cookie: ['c'] } }));
  const configs: [string, EngineConfig][] = [
    ['plans by route, quota and windows', { ...base, plans: [{ name: 'free', plan: { routes: ['r'], rateLimit: { minute: 2 }, quota: { requests: 3, per: 'month' } } }], defaultPlan: 'free' }],
    ['a by-method grant of another route', { ...base, plans: [{ name: 'free', plan: { routes: ['r', { route: 'other', methods: ['GET'] }] } }], defaultPlan: 'free' }],
    ['costs by route over costs by method', { ...base, plans: [{ name: 'c', plan: { credits: true } }], defaultPlan: 'c', costs: { methods: { POST: 5 }, routes: { r: 2 } } }],
    ['header rewrites with templates', { ...base, rewrite: { request: { headers: { set: { 'X-Who': '{{consumer}} on {{route}} ({{header.host}})' }, remove: ['Cookie'] } } } }],
  ];

  it.each(configs)('%s', async (_name, config) => {
    const full = planFacts(config, 'r');
    expect(full.requestLine).toBe(false);
    const engines = [0, 1].map(() => {
      const compiled = createEngine(config, createMemoryStore(), new ManualClock(Date.parse('2026-03-10T12:00:00Z')));
      if (!compiled.ok) throw new Error(compiled.errors.join('; '));
      return compiled.engine;
    });
    const [withLine, withoutLine] = engines as [(typeof engines)[0], (typeof engines)[0]];
    for (const request of [...requests, ...requests, ...requests]) {
      const read = fakeKong(request);
      const skipped = fakeKong(request);
      const expected = await withLine.decide((await gatherFacts(read.kong, { ...full, requestLine: true })).facts);
      const actual = await withoutLine.decide((await gatherFacts(skipped.kong, full)).facts);
      expect(actual).toEqual(expected);
      expect(read.calls).toContain('get_var(request)');
      expect(skipped.calls).not.toContain('get_var(request)');
    }
  });
});
