import { describe, expect, it } from 'vitest';
import { normalizePath, parseQuery, parseRequestLine } from './request-line.js';

describe('normalizePath (as kong.request.get_path sees it)', () => {
  it.each([
    ['/v1/forecast', '/v1/forecast'],
    ['/v1/%66orecast', '/v1/forecast'],
    ['/x/../v1/forecast', '/v1/forecast'],
    ['/v1/./forecast/', '/v1/forecast/'],
    ['//v1//forecast', '/v1/forecast'],
    ['/../../etc', '/etc'],
    ['/a/b/..', '/a/'],
    ['/t/Abc%20123%C3%B8%2f/parent/..//test/./', '/t/Abc 123ø%2F/test/'],
    ['/', '/'],
  ])('%s → %s', (raw, normalized) => {
    expect(normalizePath(raw)).toBe(normalized);
  });
});

describe('parseRequestLine', () => {
  it('splits method, normalized path and raw query', () => {
    expect(parseRequestLine('GET /v1/%66orecast?city=Z%C3%BCrich&x HTTP/1.1')).toEqual({ method: 'GET', path: '/v1/forecast', rawQuery: 'city=Z%C3%BCrich&x' });
  });
  it('rejects a line without a target', () => {
    expect(parseRequestLine('GET')).toBeUndefined();
    expect(parseRequestLine('')).toBeUndefined();
  });
});

describe('parseQuery (ngx.req.get_uri_args)', () => {
  it('decodes, keeps bare flags as true and collects repeats', () => {
    expect(parseQuery('a=1&a=2&flag&b=x+y&c=%E2%82%AC&&d=')).toEqual({ a: ['1', '2'], flag: true, b: 'x y', c: '€', d: '' });
  });
  it('keeps malformed escapes as they are', () => {
    expect(parseQuery('bad=%E2%82')).toEqual({ bad: '%E2%82' });
  });
});
