import { describe, expect, it } from 'vitest';
import { rewriteQuery, upstreamHeaders } from './apply-decision.js';

const rewrite = (over: Partial<Parameters<typeof rewriteQuery>[1]>) => ({ setHeaders: {}, removeHeaders: [], setQuery: {}, removeQuery: [], ...over });

describe('upstreamHeaders: one set_headers call', () => {
  it('clears removed headers with an empty array and sets the rest', () => {
    expect(upstreamHeaders(rewrite({ removeHeaders: ['Cookie'], setHeaders: { 'X-Plan': 'pro' } }))).toEqual({ cookie: [], 'X-Plan': 'pro' });
  });
  it('a header both removed and set ends up set (removals come first)', () => {
    expect(upstreamHeaders(rewrite({ removeHeaders: ['x-plan'], setHeaders: { 'X-Plan': 'pro' } }))).toEqual({ 'X-Plan': 'pro' });
  });
});

describe('rewriteQuery', () => {
  it.each([
    ['userId=7&x=1', { setQuery: { user_id: '7' }, removeQuery: ['userId'] }, 'x=1&user_id=7'],
    ['a=1&a=2&flag&b=%20', { removeQuery: ['a'] }, 'flag&b=%20'],
    ['who=me', { setQuery: { who: 'ann/../x y' } }, 'who=ann%2F..%2Fx%20y'],
    ['', { setQuery: { source: 'tollgate' } }, 'source=tollgate'],
    ['user%20id=1&keep=2', { removeQuery: ['user id'] }, 'keep=2'],
  ])('%s → %s', (raw, change, expected) => {
    expect(rewriteQuery(raw, rewrite(change))).toBe(expected);
  });
});
