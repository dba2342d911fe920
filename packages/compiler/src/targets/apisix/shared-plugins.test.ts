import { describe, expect, test } from 'vitest';
import { splitSharedPlugins } from './shared-plugins.js';

const auth = { header: 'apikey' };
const ext = { conf: [{ name: 'tollgate', value: '{}' }] };

describe('splitSharedPlugins', () => {
  test('a plugin every route has with the same conf is shared; the rest stays per route', () => {
    const { shared, perRoute } = splitSharedPlugins([
      { 'key-auth': auth, 'ext-plugin-post-req': ext, 'proxy-rewrite': { uri: '/a' } },
      { 'key-auth': { ...auth }, 'ext-plugin-post-req': ext, 'proxy-rewrite': { uri: '/b' } },
    ]);
    expect(shared).toEqual({ 'key-auth': auth, 'ext-plugin-post-req': ext });
    expect(perRoute).toEqual([{ 'proxy-rewrite': { uri: '/a' } }, { 'proxy-rewrite': { uri: '/b' } }]);
  });

  test('a plugin missing on one route stays on the routes that have it', () => {
    const { shared, perRoute } = splitSharedPlugins([{ 'key-auth': auth, 'proxy-rewrite': { uri: '/a' } }, { 'key-auth': auth }]);
    expect(shared).toEqual({ 'key-auth': auth });
    expect(perRoute).toEqual([{ 'proxy-rewrite': { uri: '/a' } }, {}]);
  });

  test('confs that differ deep inside are not shared', () => {
    const { shared } = splitSharedPlugins([{ 'proxy-rewrite': { headers: { set: { a: '1' } } } }, { 'proxy-rewrite': { headers: { set: { a: '2' } } } }]);
    expect(shared).toEqual({});
  });

  test('one route shares everything; no routes share nothing', () => {
    expect(splitSharedPlugins([{ 'key-auth': auth }])).toEqual({ shared: { 'key-auth': auth }, perRoute: [{}] });
    expect(splitSharedPlugins([])).toEqual({ shared: {}, perRoute: [] });
  });
});
