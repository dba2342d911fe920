// Which of the offer's options does a payment pay? A v2 payment echoes the requirements it
// accepted: they must be one option's (scheme, network, amount, asset, payee; addresses compared
// case-insensitively), and when that option names an assetTransferMethod the payload must have
// that method's shape. A v1 payment names only scheme and network: the first `exact` option on that
// network is the one; the facilitator checks its amount and payee against its v1 requirements.
import type { OfferEntry, OfferRequirements } from './offer.js';
import type { Payment } from './payment-header.js';
import { transferMethodOf } from './transfer-method.js';

export type Match = { readonly kind: 'match'; readonly entry: OfferEntry } | { readonly kind: 'mismatch'; readonly reason: string };

export function matchPayment(payment: Payment, offer: OfferRequirements): Match {
  const candidates = offer.accepts.filter((entry) => (payment.version === 2 ? entry.v2.scheme : entry.v1?.scheme) === payment.scheme);
  if (candidates.length === 0) return mismatch('unsupported_scheme');
  const onNetwork = candidates.filter((entry) => (payment.version === 2 ? entry.v2.network : entry.v1?.network) === payment.network);
  const first = onNetwork[0];
  if (first === undefined) return mismatch('invalid_network');
  if (payment.version === 1) return { kind: 'match', entry: first };
  const accepted = payment.accepted ?? {};
  const same = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
  const entry = onNetwork.find(({ v2 }) => accepted.amount === v2.amount && same(accepted.asset, v2.asset) && same(accepted.payTo, v2.payTo));
  if (entry === undefined) return mismatch('invalid_payment_requirements');
  const pinned = entry.v2.extra?.assetTransferMethod;
  if (pinned !== undefined && transferMethodOf(payment.inner) !== pinned) return mismatch('invalid_payload');
  return { kind: 'match', entry };
}

function mismatch(reason: string): Match {
  return { kind: 'mismatch', reason };
}
