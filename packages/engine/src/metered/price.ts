// Tokens priced into cost units in integer arithmetic: ceil((input × inputRate + output ×
// outputRate) / per), in BigInt so that no product is ever rounded. A cost beyond what a balance
// holds exactly (Number.MAX_SAFE_INTEGER) is no cost: undefined.
import type { Tokens } from './usage.js';

export interface TokenPrice {
  readonly input: bigint;
  readonly output: bigint;
}

export const ANY_MODEL = '*';

export function priceTokens(tokens: Tokens, price: TokenPrice, per: bigint): number | undefined {
  const total = BigInt(tokens.input) * price.input + BigInt(tokens.output) * price.output;
  const units = (total + per - 1n) / per;
  return units <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(units) : undefined;
}

/** The price key of a model: its own (exact, case-sensitive), else "*", else undefined (no price applies). */
export function priceKeyOf(prices: ReadonlyMap<string, TokenPrice>, model: string | undefined): string | undefined {
  if (model !== undefined && prices.has(model)) return model;
  return prices.has(ANY_MODEL) ? ANY_MODEL : undefined;
}
