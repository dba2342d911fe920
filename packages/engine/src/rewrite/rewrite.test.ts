import type { Rewrite } from '@tollgate/policy/schema';
import { describe, expect, it } from 'vitest';
import type { RequestFacts } from '../types.js';
import { compileRewrite } from './rewrite.js';

/** Facts that record whether the request's headers or args were read: adapters decode them only on demand. */
function watchedFacts(headers: RequestFacts['headers'], query: RequestFacts['query']) {
  const read = { headers: false, query: false };
  const facts: RequestFacts = {
    method: 'GET',
    path: '/v1/forecast',
    clientIp: '192.0.2.1',
    get headers() {
      read.headers = true;
      return headers;
    },
    get query() {
      read.query = true;
      return query;
    },
  };
  return { facts, read };
}

function applyOf(rewrite: Rewrite) {
  const compiled = compileRewrite(rewrite);
  if (!compiled.ok || compiled.apply === undefined) throw new Error('expected a rewrite');
  return compiled.apply;
}

describe('request rewrites', () => {
  it('rename, remove, add when absent and set headers and query arguments', () => {
    const apply = applyOf({
      request: {
        headers: { rename: { 'X-Key': 'X-Api-Key' }, remove: ['Cookie'], add: { 'X-Plan': '{{plan}}', 'X-Api-Key': 'none' }, set: { 'X-Consumer': '{{consumer}}' } },
        query: { rename: { k: 'key' }, remove: ['debug'], add: { key: 'none', region: 'eu' } },
      },
    });
    const { facts } = watchedFacts({ 'x-key': 'secret', cookie: 'a=b' }, { k: 'q1', debug: true });
    expect(apply({ facts, consumer: 'alice', plan: 'pro', credential: undefined, route: undefined })).toEqual({
      setHeaders: { 'X-Api-Key': 'secret', 'X-Plan': 'pro', 'X-Consumer': 'alice' },
      removeHeaders: ['x-key', 'cookie'],
      setQuery: { key: 'q1', region: 'eu' },
      removeQuery: ['k', 'debug'],
    });
  });

  it('leave the request headers and args unread when only setting and removing', () => {
    const apply = applyOf({ request: { headers: { set: { 'X-Plan': '{{plan}}' }, remove: ['cookie'] }, query: { remove: ['debug'] } } });
    const { facts, read } = watchedFacts({ cookie: 'a=b' }, { debug: true });
    expect(apply({ facts, consumer: undefined, plan: 'free', credential: undefined, route: undefined }).setHeaders).toEqual({ 'X-Plan': 'free' });
    expect(read).toEqual({ headers: false, query: false });
  });

  it('read the headers only for a header add, the args only for an argument add', () => {
    const headerAdd = watchedFacts({ 'x-plan': 'mine' }, {});
    expect(applyOf({ request: { headers: { add: { 'X-Plan': 'free' } } } })({ facts: headerAdd.facts, consumer: undefined, plan: undefined, credential: undefined, route: undefined }).setHeaders).toEqual({});
    expect(headerAdd.read).toEqual({ headers: true, query: false });

    const argAdd = watchedFacts({}, { region: 'us' });
    expect(applyOf({ request: { query: { add: { region: 'eu' } } } })({ facts: argAdd.facts, consumer: undefined, plan: undefined, credential: undefined, route: undefined }).setQuery).toEqual({});
    expect(argAdd.read).toEqual({ headers: false, query: true });
  });
});
