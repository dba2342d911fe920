import { describe, expect, it } from 'vitest';
import { priceKeyOf, priceTokens } from './price.js';

const rates = { input: 3n, output: 12n };

describe('token prices', () => {
  it('rounds the cost up to a whole unit, in integers', () => {
    expect(priceTokens({ input: 1000, output: 1000 }, rates, 1000n)).toBe(15);
    expect(priceTokens({ input: 1, output: 0 }, rates, 1000n)).toBe(1);
    expect(priceTokens({ input: 0, output: 0 }, rates, 1000n)).toBe(0);
    expect(priceTokens({ input: 333, output: 0 }, rates, 1000n)).toBe(1);
    expect(priceTokens({ input: 334, output: 0 }, rates, 1000n)).toBe(2);
  });

  it('stays exact where floating point would not', () => {
    // In doubles, 9007199254740991 × 3 rounds to …972 and the quotient to …743: one unit short.
    expect(priceTokens({ input: Number.MAX_SAFE_INTEGER, output: 0 }, { input: 3n, output: 0n }, 4n)).toBe(6755399441055744);
    expect(priceTokens({ input: Number.MAX_SAFE_INTEGER, output: 0 }, { input: 1n, output: 0n }, 1n)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('gives no cost beyond what a balance holds exactly', () => {
    expect(priceTokens({ input: Number.MAX_SAFE_INTEGER, output: 1 }, { input: 1n, output: 1n }, 1n)).toBeUndefined();
  });

  it('picks the exact model, else "*", else none', () => {
    const prices = new Map([['gpt-4o', rates], ['*', { input: 1n, output: 1n }]]);
    expect(priceKeyOf(prices, 'gpt-4o')).toBe('gpt-4o');
    expect(priceKeyOf(prices, 'GPT-4o')).toBe('*');
    expect(priceKeyOf(prices, undefined)).toBe('*');
    expect(priceKeyOf(new Map([['gpt-4o', rates]]), 'gpt-4o-mini')).toBeUndefined();
  });
});
