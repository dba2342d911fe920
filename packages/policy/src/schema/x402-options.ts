// An x402 offer's payment options as the engine and the linter read them: the `accepts` entries
// (or the offer itself when it has none), each with what it leaves out taken from the offer, and
// what is wrong with them. Pure functions of the policy, shared so that `tollgate lint` refuses
// exactly what the engine would.
import type { X402Offer, X402Option, X402Scheme } from './x402-schema.js';

export const DEFAULT_X402_DECIMALS = 6;
export const DEFAULT_X402_TIMEOUT_SECONDS = 60;
/** The members an option needs, from itself or the offer. */
const REQUIRED = ['price', 'asset', 'network', 'payTo'] as const;

/** One way to pay, every member resolved. Prices are in whole units of the asset ("0.01"). */
export interface X402PaymentOption {
  readonly scheme: X402Scheme;
  readonly network: string;
  readonly asset: string;
  readonly decimals: number;
  readonly payTo: string;
  readonly maxTimeoutSeconds: number;
  readonly price: string;
  /** upto: what the client authorises, when above price. */
  readonly maxPrice?: string;
  /** upto: the price of one metered cost unit. */
  readonly pricePerUnit?: string;
  readonly extra?: Readonly<Record<string, string>>;
}

/** The offer's options in order, or undefined when one of them lacks a member (see x402OfferProblems). */
export function x402PaymentOptions(offer: X402Offer): readonly X402PaymentOption[] | undefined {
  const options: X402PaymentOption[] = [];
  for (const entry of entriesOf(offer)) {
    const merged = { ...offerDefaults(offer), ...entry };
    const { price, asset, network, payTo } = merged;
    if (price === undefined || asset === undefined || network === undefined || payTo === undefined) return undefined;
    options.push({
      scheme: merged.scheme ?? 'exact',
      network,
      asset,
      decimals: merged.decimals ?? DEFAULT_X402_DECIMALS,
      payTo,
      maxTimeoutSeconds: merged.maxTimeoutSeconds ?? DEFAULT_X402_TIMEOUT_SECONDS,
      price,
      ...(merged.maxPrice === undefined ? {} : { maxPrice: merged.maxPrice }),
      ...(merged.pricePerUnit === undefined ? {} : { pricePerUnit: merged.pricePerUnit }),
      ...(merged.extra === undefined ? {} : { extra: merged.extra }),
    });
  }
  return options;
}

export interface X402Problem {
  /** JSON path below the offer, e.g. ['accepts', 1, 'price']. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Everything that would keep clients from paying the offer, or make the gateway charge other than
 * it says. `routes`: the policy's route names, when known (a price for an unknown route is a typo).
 * `requireFacilitator`: an offer without one is incomplete too (lint; the engine runs without one,
 * refusing every payment), listed with what the offer itself lacks.
 */
export function x402OfferProblems(offer: X402Offer, routes?: ReadonlySet<string>, requireFacilitator = false): X402Problem[] {
  const problems: X402Problem[] = [];
  const offerLacks = requireFacilitator && offer.facilitator === undefined ? ['facilitator'] : [];
  if (offer.accepts !== undefined) {
    for (const member of ['asset', 'network', 'extra'] as const) {
      if (offer[member] !== undefined) problems.push({ path: [member], message: `with accepts, give ${member} in each entry (the offer's own would be ignored)` });
    }
  }
  const entries = entriesOf(offer);
  entries.forEach((entry, index) => {
    const at = offer.accepts === undefined ? [] : ['accepts', index];
    const option = { ...offerDefaults(offer), ...entry };
    const missing = [...REQUIRED.filter((member) => option[member] === undefined), ...(at.length === 0 ? offerLacks : [])];
    if (missing.length > 0) problems.push({ path: at, message: `x402 offer${at.length > 0 ? ` entry ${index + 1}` : ''} is missing ${missing.join(', ')}` });
    const decimals = option.decimals ?? DEFAULT_X402_DECIMALS;
    const scheme = option.scheme ?? 'exact';
    for (const member of ['price', 'maxPrice', 'pricePerUnit'] as const) {
      const amount = option[member];
      if (amount !== undefined && atomicAmount(amount, decimals) === undefined) problems.push({ path: [...at, member], message: `${member} ${amount} has more decimal places than the asset's ${decimals}` });
    }
    if (scheme === 'exact') {
      for (const member of ['maxPrice', 'pricePerUnit'] as const) {
        if (option[member] !== undefined) problems.push({ path: [...at, member], message: `${member} is for scheme upto: exact charges price` });
      }
    }
    if (scheme === 'upto') {
      const method = option.extra?.assetTransferMethod;
      if (method !== undefined && method !== 'permit2') problems.push({ path: [...at, 'extra', 'assetTransferMethod'], message: `upto on EVM settles through Permit2 only, not ${method}` });
      if (option.network?.startsWith('eip155:') === true && option.extra?.facilitatorAddress === undefined) {
        problems.push({ path: [...at, 'extra'], message: "upto on EVM needs extra.facilitatorAddress (the address the facilitator's GET /supported gives for upto): clients sign it into the permit" });
      }
      // Without maxPrice the client authorises the route's price itself.
      const ceiling = option.maxPrice;
      const prices = [option.price, ...Object.values(offer.routes ?? {})].filter((p) => p !== undefined);
      const above = ceiling === undefined ? [] : prices.filter((p) => compareAmounts(p, ceiling, decimals) > 0);
      if (ceiling !== undefined && above.length > 0) problems.push({ path: [...at, 'maxPrice'], message: `maxPrice ${ceiling} is below the price ${above[0]}: upto never settles more than the client authorised` });
    }
    const method = option.extra?.assetTransferMethod;
    if (method !== undefined && !['eip3009', 'permit2', 'erc7710'].includes(method)) {
      problems.push({ path: [...at, 'extra', 'assetTransferMethod'], message: `assetTransferMethod ${method} is none of eip3009, permit2, erc7710` });
    }
  });
  for (const [route, price] of Object.entries(offer.routes ?? {})) {
    if (routes !== undefined && !routes.has(route)) problems.push({ path: ['routes', route], message: `unknown route "${route}"` });
    for (const [index, entry] of entries.entries()) {
      const decimals = entry.decimals ?? offer.decimals ?? DEFAULT_X402_DECIMALS;
      if (atomicAmount(price, decimals) === undefined) problems.push({ path: ['routes', route], message: `price ${price} has more decimal places than the asset's ${decimals}${entries.length > 1 ? ` (entry ${index + 1})` : ''}` });
    }
  }
  // With accepts, the entries list their own gaps: what the offer lacks comes first, on its own.
  if (offer.accepts !== undefined && offerLacks.length > 0) problems.unshift({ path: [], message: `x402 offer is missing ${offerLacks.join(', ')}` });
  return problems;
}

/** "0.01" with 6 decimals → "10000"; undefined when the amount has more fraction digits than the asset. */
export function atomicAmount(amount: string, decimals: number): string | undefined {
  const [whole = '0', fraction = ''] = amount.split('.');
  if (fraction.length > decimals) return undefined;
  return (whole + fraction.padEnd(decimals, '0')).replace(/^0+(?=\d)/, '');
}

function compareAmounts(a: string, b: string, decimals: number): number {
  const x = BigInt(atomicAmount(a, decimals) ?? '0');
  const y = BigInt(atomicAmount(b, decimals) ?? '0');
  return x === y ? 0 : x > y ? 1 : -1;
}

/** What an entry inherits: the offer's members that are not per-entry. */
function offerDefaults(offer: X402Offer): Partial<X402Option> {
  const { scheme, price, maxPrice, pricePerUnit, decimals, payTo, maxTimeoutSeconds } = offer;
  const defaults: Record<string, unknown> = { scheme, price, maxPrice, pricePerUnit, decimals, payTo, maxTimeoutSeconds };
  return Object.fromEntries(Object.entries(defaults).filter(([, value]) => value !== undefined));
}

function entriesOf(offer: X402Offer): readonly Partial<X402Option>[] {
  if (offer.accepts !== undefined) return offer.accepts;
  const { asset, network, extra } = offer;
  return [Object.fromEntries(Object.entries({ asset, network, extra }).filter(([, value]) => value !== undefined))];
}
