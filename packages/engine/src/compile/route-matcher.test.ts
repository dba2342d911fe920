// Tables of (routes, request) → matched route, from each router's documented rules: Kong 3.9's
// traditional.lua (categories by field count, plain hosts before wildcards, longer prefixes first,
// the reducer), transform.lua's priorities for traditional_compatible/expressions, and APISIX
// 3.18's radixtree_host_uri (host routes first, full hosts before `*.` suffixes, deepest prefix).
import type { Route } from '@tollgate/policy/schema';
import { describe, expect, it } from 'vitest';
import { compileRouteMatcher, GATEWAY_ROUTERS, type GatewayRouter } from './route-matcher.js';

type Row = readonly [what: string, routes: readonly Route[], method: string, path: string, host: string | undefined, expected: Record<GatewayRouter, string | undefined>];
const all = (name: string | undefined): Record<GatewayRouter, string | undefined> => ({ 'kong-traditional': name, 'kong-atc': name, apisix: name });

const LARGE: Route = { name: 'large', paths: ['/v1/models/large/completions'], methods: ['POST'] };
const CATCH_ALL_GET: Route = { name: 'any-get', paths: ['/'], methods: ['GET'] };
const LONG: Route = { name: 'long', paths: ['/v1/x/long'] };
const PLAIN_HOST: Route = { name: 'plain-host', paths: ['/a'], hosts: ['api.example.com'] };
const WILDCARD_LONGER: Route = { name: 'wildcard-longer', paths: ['/a/b'], hosts: ['*.example.com'] };
const WILDCARD_HOST: Route = { name: 'wildcard-host', paths: ['/a'], hosts: ['*.example.com'] };
const METHOD_LONGER: Route = { name: 'method-longer', paths: ['/a/b'], methods: ['GET'] };

const ROWS: readonly Row[] = [
  // Paths are plain prefixes everywhere: no segment boundary.
  ['a prefix matches itself', [LARGE], 'POST', '/v1/models/large/completions', undefined, all('large')],
  ['a prefix matches a matrix parameter', [LARGE], 'POST', '/v1/models/large/completions;v=1', undefined, all('large')],
  ['a prefix matches an extension', [LARGE], 'POST', '/v1/models/large/completions.json', undefined, all('large')],
  ['a prefix matches a longer segment', [LARGE], 'POST', '/v1/models/large/completionsX', undefined, all('large')],
  ['a prefix matches a sub-path', [LARGE], 'POST', '/v1/models/large/completions/stream', undefined, all('large')],
  ['a shorter path does not match', [LARGE], 'POST', '/v1/models/large', undefined, all(undefined)],
  ['paths are case-sensitive', [LARGE], 'POST', '/V1/models/large/completions', undefined, all(undefined)],
  ['methods filter', [LARGE], 'GET', '/v1/models/large/completions', undefined, all(undefined)],
  // The longer prefix among routes with the same fields.
  ['the longer prefix wins', [{ name: 'v1', paths: ['/v1'] }, { name: 'v1x', paths: ['/v1/x'] }], 'GET', '/v1/x/y', undefined, all('v1x')],
  ['a route is tried per path', [{ name: 'r', paths: ['/a', '/a/b/c'] }, { name: 's', paths: ['/a/b'] }], 'GET', '/a/b/c/d', undefined, all('r')],
  ['…and its shorter path loses to a longer one', [{ name: 'r', paths: ['/a', '/a/b/c'] }, { name: 's', paths: ['/a/b'] }], 'GET', '/a/b/x', undefined, all('s')],
  ['equal routes: the policy order', [{ name: 'first', paths: ['/a'] }, { name: 'second', paths: ['/a'] }], 'GET', '/a', undefined, all('first')],
  // Kong: more fields first, whatever the path length. APISIX: the deepest prefix.
  ['Kong: a route with methods beats a longer path without', [CATCH_ALL_GET, LONG], 'GET', '/v1/x/long', undefined, { 'kong-traditional': 'any-get', 'kong-atc': 'any-get', apisix: 'long' }],
  ['…and the longer path still matches other methods', [CATCH_ALL_GET, LONG], 'POST', '/v1/x/long', undefined, all('long')],
  // Hosts.
  ['a plain host, its port ignored', [PLAIN_HOST], 'GET', '/a', 'api.example.com:8443', all('plain-host')],
  ['Kong compares hosts as written, APISIX lower-cases $host', [PLAIN_HOST], 'GET', '/a', 'API.example.com', { 'kong-traditional': undefined, 'kong-atc': undefined, apisix: 'plain-host' }],
  ['a wildcard host matches deeper names', [WILDCARD_HOST], 'GET', '/a', 'x.y.example.com', all('wildcard-host')],
  ['a wildcard host needs a label before the suffix', [WILDCARD_HOST], 'GET', '/a', 'example.com', all(undefined)],
  ['a route with hosts needs a Host header', [WILDCARD_HOST], 'GET', '/a', undefined, all(undefined)],
  ['a trailing wildcard is a prefix on Kong', [{ name: 'api-any', paths: ['/'], hosts: ['api.*'] }], 'GET', '/', 'api.example.org', { 'kong-traditional': 'api-any', 'kong-atc': 'api-any', apisix: undefined }],
  ['a plain host beats a wildcard with a longer path', [WILDCARD_LONGER, PLAIN_HOST], 'GET', '/a/b/c', 'api.example.com', all('plain-host')],
  // traditional.lua's reducer looks the raw Host (port included) up in the category's host index:
  // no hit, so it tries the routes of the longest matching prefix first.
  ['Kong traditional: with a port, the longest prefix is tried first', [WILDCARD_LONGER, PLAIN_HOST], 'GET', '/a/b/c', 'api.example.com:8000', { 'kong-traditional': 'wildcard-longer', 'kong-atc': 'plain-host', apisix: 'plain-host' }],
  // Same field count: traditional puts the host category (0x50) before the method one (0x18);
  // ATC compares plain-hosts-only, then the path length.
  ['host+path against method+path', [WILDCARD_HOST, METHOD_LONGER], 'GET', '/a/b', 'x.example.com', { 'kong-traditional': 'wildcard-host', 'kong-atc': 'method-longer', apisix: 'wildcard-host' }],
  // APISIX: routes with hosts first, then the rest.
  ['APISIX: a host route beats a longer path without hosts', [{ name: 'host-root', paths: ['/'], hosts: ['api.example.com'] }, LONG], 'GET', '/v1/x/long', 'api.example.com', { 'kong-traditional': 'host-root', 'kong-atc': 'host-root', apisix: 'host-root' }],
  ['APISIX: without a matching host route, the routes without hosts', [{ name: 'host-other', paths: ['/other'], hosts: ['api.example.com'] }, LONG], 'GET', '/v1/x/long', 'api.example.com', all('long')],
  ['APISIX: a full host before a wildcard', [{ name: 'wild', paths: ['/a/b/c'], hosts: ['*.example.com'] }, { name: 'full', paths: ['/a'], hosts: ['api.example.com'] }], 'GET', '/a/b/c', 'api.example.com', all('full')],
  ['APISIX: the longer wildcard suffix first', [{ name: 'short', paths: ['/a/b'], hosts: ['*.com'] }, { name: 'long-suffix', paths: ['/a'], hosts: ['*.example.com'] }], 'GET', '/a/b', 'api.example.com', { 'kong-traditional': 'short', 'kong-atc': 'short', apisix: 'long-suffix' }],
  ['routes without paths are never matched', [{ name: 'existing' }], 'GET', '/', undefined, all(undefined)],
];

describe.each(GATEWAY_ROUTERS)('%s', (router) => {
  it.each(ROWS)('%s', (_what, routes, method, path, host, expected) => {
    expect(compileRouteMatcher(routes, router)(method, path, host)).toBe(expected[router]);
  });
});
