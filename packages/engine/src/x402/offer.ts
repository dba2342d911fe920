// A policy's x402 offer as payment requirements: the v2 form (CAIP-2 network, `amount`) that the
// PAYMENT-REQUIRED header carries and v2 payments are verified against, and the v1 form (v1
// network name, `maxAmountRequired`, per-offer resource) for v1 clients and v1 payments.
import type { X402Offer } from '@tollgate/policy/schema';
import type { Network } from '@x402/core/types';

const DEFAULT_DECIMALS = 6;
const DEFAULT_TIMEOUT_SECONDS = 60;

/** v1 used network names; v2 uses CAIP-2. The networks v1 clients know, by CAIP-2 id. */
const V1_NETWORK_NAMES: Readonly<Record<string, string>> = {
  'eip155:8453': 'base',
  'eip155:84532': 'base-sepolia',
  'eip155:43114': 'avalanche',
  'eip155:43113': 'avalanche-fuji',
  'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp': 'solana',
  'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1': 'solana-devnet',
};

/** An offer with every member a challenge needs. */
export type CompleteOffer = X402Offer & Required<Pick<X402Offer, 'price' | 'asset' | 'network' | 'payTo'>>;

export function isCompleteOffer(offer: X402Offer | undefined): offer is CompleteOffer {
  return offer?.price !== undefined && offer.asset !== undefined && offer.network !== undefined && offer.payTo !== undefined;
}

/** "0.01" with 6 decimals → "10000"; undefined when the price has more fraction digits than the asset. */
export function atomicAmount(price: string, decimals: number): string | undefined {
  const [whole = '0', fraction = ''] = price.split('.');
  if (fraction.length > decimals) return undefined;
  const digits = (whole + fraction.padEnd(decimals, '0')).replace(/^0+(?=\d)/, '');
  return digits;
}

export function v1NetworkName(network: string): string {
  return V1_NETWORK_NAMES[network] ?? network;
}

export interface RequirementsV2 {
  readonly scheme: 'exact';
  /** CAIP-2: the policy schema only lets `namespace:reference` through. */
  readonly network: Network;
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

export interface OfferRequirements {
  readonly resource: { readonly url: string; readonly description: string };
  readonly v2: RequirementsV2;
  readonly v1: RequirementsV1;
}

export function offerRequirements(offer: CompleteOffer, resourceUrl: string, fallbackDescription: string): OfferRequirements {
  const amount = atomicAmount(offer.price, offer.decimals ?? DEFAULT_DECIMALS) ?? '0';
  const description = offer.description ?? fallbackDescription;
  const maxTimeoutSeconds = offer.maxTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const extra = offer.extra === undefined ? {} : { extra: offer.extra };
  return {
    resource: { url: resourceUrl, description },
    v2: { scheme: 'exact', network: offer.network as Network, amount, asset: offer.asset, payTo: offer.payTo, maxTimeoutSeconds, ...extra },
    v1: {
      scheme: 'exact',
      network: v1NetworkName(offer.network),
      maxAmountRequired: amount,
      resource: resourceUrl,
      description,
      payTo: offer.payTo,
      maxTimeoutSeconds,
      asset: offer.asset,
      ...extra,
    },
  };
}
