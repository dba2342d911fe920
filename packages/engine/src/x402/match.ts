// Does a payment pay for this offer? A v2 payment echoes the requirements it accepted: they must
// be the offer's (scheme, network, amount, asset, payee; addresses compared case-insensitively).
// A v1 payment names only scheme and network; the facilitator checks its amount and payee against
// the v1 requirements sent with it.
import type { OfferRequirements } from './offer.js';
import type { Payment } from './payment-header.js';

/** The x402 error code when the payment is not for this offer, else undefined. */
export function mismatch(payment: Payment, offer: OfferRequirements): string | undefined {
  const wanted = payment.version === 2 ? offer.v2 : offer.v1;
  if (payment.scheme !== wanted.scheme) return 'unsupported_scheme';
  if (payment.network !== wanted.network) return 'invalid_network';
  if (payment.version === 1) return undefined;
  const accepted = payment.accepted ?? {};
  const same = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
  if (accepted.amount !== offer.v2.amount || !same(accepted.asset, offer.v2.asset) || !same(accepted.payTo, offer.v2.payTo)) {
    return 'invalid_payment_requirements';
  }
  return undefined;
}
