import { describe, expect, it } from 'vitest';
import { headerUnits } from './header-units.js';

describe('a cost header', () => {
  it('reads a plain non-negative integer, optional whitespace around it', () => {
    expect(headerUnits('0')).toBe(0);
    expect(headerUnits('1234')).toBe(1234);
    expect(headerUnits(' \t42 ')).toBe(42);
    expect(headerUnits('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each(['', '-1', '+1', '1.5', '1e3', '0x10', '12abc', '1, 2', '١٢', '9007199254740992', '12345678901234567'])('refuses %j', (value) => {
    expect(headerUnits(value)).toBeUndefined();
  });
});
