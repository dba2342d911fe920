// What makes a payment single-use at this gateway: its replay key, recorded in the store (shared by
// every node) before the request goes upstream. For `exact` on EVM that is the EIP-3009
// authorisation nonce of its payer, on the offer's network and token (what the token contract
// itself makes single-use), kept until the authorisation's validBefore; for any other payload a
// hash of the whole signed payload, kept for the offer's maxTimeoutSeconds.
import { createHash } from 'node:crypto';
import { PAYMENT_CLAIM_MAX_MS } from '../store/store.js';
import type { OfferRequirements } from './offer.js';
import type { Payment } from './payment-header.js';

export interface Replay {
  readonly key: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export function replayOf(payment: Payment, offer: OfferRequirements, now: number): Replay {
  const earliest = now + offer.v2.maxTimeoutSeconds * 1000;
  const authorization = payment.inner.authorization as Record<string, unknown> | undefined;
  const { from, nonce, validBefore } = authorization ?? {};
  if (typeof from === 'string' && typeof nonce === 'string' && typeof validBefore === 'string' && /^\d{1,20}$/.test(validBefore)) {
    const key = sha256(`${offer.v2.network}|${offer.v2.asset}|${from}|${nonce}`.toLowerCase());
    return { key, expiresAt: Math.min(Math.max(Number(validBefore) * 1000, earliest), now + PAYMENT_CLAIM_MAX_MS) };
  }
  return { key: sha256(JSON.stringify(payment.inner)), expiresAt: earliest };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
