import { describe, expect, it } from 'vitest';
import { ConfCache } from './conf-cache.js';

describe('ConfCache', () => {
  it('hands out tokens from 1 and the same token for the same key', () => {
    const cache = new ConfCache<string>(1000);
    const a = cache.store('route#1#ext-plugin-pre-req#1', 'a');
    const b = cache.store('route#2#ext-plugin-pre-req#1', 'b');
    expect(a).toBe(1);
    expect(b).toBe(2);
    expect(cache.store('route#1#ext-plugin-pre-req#1', 'a2')).toBe(1);
    expect(cache.get(1)).toBe('a2');
    expect(cache.get(99)).toBeUndefined();
  });

  it('gives key-less confs a fresh token each time', () => {
    const cache = new ConfCache<string>(1000);
    expect(cache.store('', 'x')).not.toBe(cache.store('', 'x'));
  });

  it('expires entries after the TTL, counted from the last PrepareConf', () => {
    let now = 0;
    const cache = new ConfCache<string>(100, () => now);
    const token = cache.store('k', 'v');
    now = 90;
    cache.store('k', 'v');
    now = 150;
    expect(cache.get(token)).toBe('v');
    now = 190;
    expect(cache.get(token)).toBeUndefined();
  });

  it('evicts expired entries when new confs arrive', () => {
    let now = 0;
    const cache = new ConfCache<string>(100, () => now);
    for (let i = 0; i < 10; i++) cache.store(`k${i}`, 'v');
    now = 200;
    cache.store('fresh', 'v');
    expect(cache.size).toBe(1);
  });
});
