import { describe, expect, it } from 'vitest';
import { compileRouteMatcher } from './route-matcher.js';

const match = compileRouteMatcher([
  { name: 'all', paths: ['/'] },
  { name: 'forecast', paths: ['/v1/forecast'], methods: ['GET'] },
  { name: 'forecast-write', paths: ['/v1/forecast'], methods: ['POST'] },
  { name: 'eu', paths: ['/v1/forecast'], hosts: ['*.eu.example.com'] },
  { name: 'existing' },
]);

describe('route matching', () => {
  it('prefers the longest prefix, then the first listed route whose method and host match', () => {
    expect(match('GET', '/v1/forecast', undefined)).toBe('forecast');
    expect(match('GET', '/v1/forecast/today', 'api.example.com')).toBe('forecast');
    expect(match('POST', '/v1/forecast', undefined)).toBe('forecast-write');
    expect(match('DELETE', '/v1/forecast', 'api.eu.example.com:8443')).toBe('eu');
    expect(match('DELETE', '/v1/forecast', 'eu.example.com')).toBe('all');
  });

  it('matches prefixes at segment boundaries only', () => {
    expect(match('GET', '/v1/forecasts', undefined)).toBe('all');
  });

  it('returns undefined when nothing matches', () => {
    expect(compileRouteMatcher([{ name: 'a', paths: ['/a'] }])('GET', '/b', undefined)).toBeUndefined();
  });
});
