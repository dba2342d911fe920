// What makes a payment single-use at this gateway: its replay key, recorded in the store (shared by
// every node) before the request goes upstream. For EVM payloads that is what the chain itself
// spends once (transfer-method.ts) on the option's network: the EIP-3009 authorisation nonce of its
// payer on the option's token, kept until validBefore; the Permit2 nonce of its owner, kept until
// the permit's deadline; an ERC-7710 delegation, kept for the option's maxTimeoutSeconds. Any other
// payload: a hash of the whole signed payload, kept for maxTimeoutSeconds.
import { createHash } from 'node:crypto';
import { PAYMENT_CLAIM_MAX_MS } from '../store/store.js';
import type { RequirementsV2 } from './offer.js';
import type { Payment } from './payment-header.js';
import { spendIdentityOf } from './transfer-method.js';

export interface Replay {
  readonly key: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export function replayOf(payment: Payment, option: RequirementsV2, now: number): Replay {
  const earliest = now + option.maxTimeoutSeconds * 1000;
  const identity = spendIdentityOf(payment.inner);
  if (identity === undefined) return { key: sha256(JSON.stringify(payment.inner)), expiresAt: earliest };
  // EIP-3009 nonces are per token contract; Permit2's and delegations are not. EIP-3009 keys keep
  // the form they had before the other methods came (no method name), so claims made before an
  // upgrade still stop a replay after it.
  const scope = identity.method === 'eip3009' ? [option.network, option.asset.toLowerCase()] : [identity.method, option.network];
  const key = sha256([...scope, ...identity.parts].join('|'));
  const until = identity.expiresAtSeconds;
  if (until === undefined) return { key, expiresAt: earliest };
  // Never shorter than the challenge's window, never longer than the store keeps a claim.
  const chainMs = until > BigInt(Number.MAX_SAFE_INTEGER) / 1000n ? Number.MAX_SAFE_INTEGER : Number(until) * 1000;
  return { key, expiresAt: Math.min(Math.max(chainMs, earliest), now + PAYMENT_CLAIM_MAX_MS) };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
