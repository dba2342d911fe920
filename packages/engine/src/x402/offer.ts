// A policy's x402 offer as payment requirements, per route: one entry per payment option in the
// v2 form (CAIP-2 network, `amount`) that PAYMENT-REQUIRED carries and v2 payments are verified
// against, and for `exact` options the v1 form (v1 network name, `maxAmountRequired`, per-entry
// resource) for v1 clients and payments. v1 knows no `upto`: such options are offered to v2 only.
import { atomicAmount, x402PaymentOptions, type X402Offer, type X402PaymentOption } from '@tollgate/policy/schema';
import type { Network } from '@x402/core/types';

/** v1 used network names; v2 uses CAIP-2. The networks v1 clients know, by CAIP-2 id. */
const V1_NETWORK_NAMES: Readonly<Record<string, string>> = {
  'eip155:8453': 'base',
  'eip155:84532': 'base-sepolia',
  'eip155:43114': 'avalanche',
  'eip155:43113': 'avalanche-fuji',
  'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp': 'solana',
  'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1': 'solana-devnet',
};

export function v1NetworkName(network: string): string {
  return V1_NETWORK_NAMES[network] ?? network;
}

export interface RequirementsV2 {
  readonly scheme: 'exact' | 'upto';
  /** CAIP-2: the policy schema only lets `namespace:reference` through. */
  readonly network: Network;
  /** Atomic units; for upto, the most the client authorises. */
  readonly amount: string;
  readonly asset: string;
  readonly payTo: string;
  readonly maxTimeoutSeconds: number;
  readonly extra?: Readonly<Record<string, string>>;
}

export interface RequirementsV1 {
  readonly scheme: 'exact';
  readonly network: string;
  readonly maxAmountRequired: string;
  readonly resource: string;
  readonly description: string;
  readonly payTo: string;
  readonly maxTimeoutSeconds: number;
  readonly asset: string;
  readonly extra?: Readonly<Record<string, string>>;
}

/** What an `upto` payment settles, in atomic units: `price` unless the request's metered cost is known. */
export interface UptoPricing {
  readonly price: string;
  /** The price of one metered cost unit. Absent: a metered request still settles `price`. */
  readonly perUnit?: string;
}

/** One way to pay this request. */
export interface OfferEntry {
  readonly v2: RequirementsV2;
  /** Absent for upto (v1 has no such scheme). */
  readonly v1?: RequirementsV1;
  readonly upto?: UptoPricing;
}

export interface OfferRequirements {
  readonly resource: { readonly url: string; readonly description: string };
  readonly accepts: readonly OfferEntry[];
}

/** The offer compiled once: its options resolved, requirements built per request. */
export interface CompiledOffer {
  readonly options: readonly X402PaymentOption[];
  /** The facilitator every option is verified and settled by. */
  readonly facilitator: string | undefined;
  requirements(route: string | undefined, resourceUrl: string): OfferRequirements;
}

/** Undefined when the policy has no offer or an incomplete one (the config parser reports it). */
export function compileOffer(offer: X402Offer | undefined, policy: string): CompiledOffer | undefined {
  if (offer === undefined) return undefined;
  const options = x402PaymentOptions(offer);
  if (options === undefined) return undefined;
  const description = offer.description ?? `${policy}: pay per request`;
  const routePrices = offer.routes ?? {};
  return {
    options,
    facilitator: offer.facilitator,
    requirements(route, resourceUrl) {
      const price = route === undefined ? undefined : routePrices[route];
      return { resource: { url: resourceUrl, description }, accepts: options.map((option) => entryOf(option, price, resourceUrl, description)) };
    },
  };
}

function entryOf(option: X402PaymentOption, routePrice: string | undefined, resourceUrl: string, description: string): OfferEntry {
  const atomic = (amount: string) => atomicAmount(amount, option.decimals) ?? '0';
  const price = atomic(routePrice ?? option.price);
  const extra = option.extra === undefined ? {} : { extra: option.extra };
  // Members in the order the specification's examples write them.
  const v2 = (scheme: 'exact' | 'upto', amount: string): RequirementsV2 => ({
    scheme,
    network: option.network as Network,
    amount,
    asset: option.asset,
    payTo: option.payTo,
    maxTimeoutSeconds: option.maxTimeoutSeconds,
    ...extra,
  });
  if (option.scheme === 'upto') {
    const ceiling = option.maxPrice === undefined ? price : atomic(option.maxPrice);
    const perUnit = option.pricePerUnit === undefined ? {} : { perUnit: atomic(option.pricePerUnit) };
    return { v2: v2('upto', ceiling), upto: { price, ...perUnit } };
  }
  return {
    v2: v2('exact', price),
    v1: {
      scheme: 'exact',
      network: v1NetworkName(option.network),
      maxAmountRequired: price,
      resource: resourceUrl,
      description,
      payTo: option.payTo,
      maxTimeoutSeconds: option.maxTimeoutSeconds,
      asset: option.asset,
      ...extra,
    },
  };
}
