// The x402 challenge on a 402: the v2 `PAYMENT-REQUIRED` header (base64 of PaymentRequired) and
// the v1 body members (`x402Version: 1`, `error`, `accepts`) so clients of both generations can pay.
import type { X402Offer } from '@tollgate/policy/schema';

export const PAYMENT_REQUIRED_HEADER = 'PAYMENT-REQUIRED';
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

export interface X402Challenge {
  readonly header: string;
  readonly body: { readonly x402Version: 1; readonly error: string; readonly accepts: readonly Record<string, unknown>[] };
}

export function x402Challenge(offer: CompleteOffer, resourceUrl: string, error: string, fallbackDescription: string): X402Challenge {
  const amount = atomicAmount(offer.price, offer.decimals ?? DEFAULT_DECIMALS) ?? '0';
  const description = offer.description ?? fallbackDescription;
  const maxTimeoutSeconds = offer.maxTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const extra = offer.extra === undefined ? {} : { extra: offer.extra };
  const v2 = {
    x402Version: 2,
    error,
    resource: { url: resourceUrl, description },
    accepts: [{ scheme: 'exact', network: offer.network, amount, asset: offer.asset, payTo: offer.payTo, maxTimeoutSeconds, ...extra }],
  };
  const v1 = {
    scheme: 'exact',
    network: V1_NETWORK_NAMES[offer.network] ?? offer.network,
    maxAmountRequired: amount,
    resource: resourceUrl,
    description,
    payTo: offer.payTo,
    maxTimeoutSeconds,
    asset: offer.asset,
    ...extra,
  };
  return { header: Buffer.from(JSON.stringify(v2), 'utf8').toString('base64'), body: { x402Version: 1, error, accepts: [v1] } };
}
