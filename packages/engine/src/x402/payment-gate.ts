// Pay per request: accept a payment before the request goes upstream (match the offer, verify with
// the facilitator, claim its replay key in the store) and settle it after the upstream answered,
// only when that answer is < 400 (as @x402/express does). Outcomes are values; the engine turns
// them into decisions and completions.
import { encodePaymentResponseHeader } from '@x402/core/http';
import type { SettleResponse } from '@x402/core/types';
import { randomUUID } from 'node:crypto';
import type { Compensations } from '../compensations.js';
import type { Observer } from '../ops/observer.js';
import { StoreCallNotSentError } from '../store/store.js';
import type { StoreCalls } from '../store-calls.js';
import { messageOf } from '../timeout.js';
import type { Facilitator } from './facilitator.js';
import { matchPayment } from './match.js';
import type { OfferRequirements, RequirementsV1, RequirementsV2, UptoPricing } from './offer.js';
import type { Payment } from './payment-header.js';
import { replayOf } from './replay.js';
import { settlementRequirements } from './upto.js';

export const PAYMENT_RESPONSE_HEADER = 'PAYMENT-RESPONSE';
export const X_PAYMENT_RESPONSE_HEADER = 'X-PAYMENT-RESPONSE';
/** What the client learns when the facilitator could not verify: its answer is for the operator only. */
const FACILITATOR_UNAVAILABLE = 'facilitator_unavailable';
/**
 * A Permit2 payer who has not approved the Permit2 contract (x402 exact/upto on EVM, verification
 * step 2): the facilitator's reason, which the client answers with a one-time approve transaction.
 */
export const PERMIT2_ALLOWANCE_REQUIRED = 'permit2_allowance_required';
/** The canonical Permit2 contract, the same address on every EVM chain (what the payer must approve). */
export const PERMIT2_ADDRESS = '0x000000000022D473030F116dDEE9F6B43aC78BA3';

/** The one-time approval a Permit2 payer lacks: `approve(spender, …)` on `token` on `network`. */
export interface Permit2Approval {
  readonly network: string;
  readonly token: string;
  readonly spender: string;
}

/** What a paid request's follow-up carries to settlement: plain JSON. */
export interface PaymentHold {
  readonly version: 1 | 2;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly requirements: RequirementsV1 | RequirementsV2;
  readonly replay: string;
  readonly resource: string;
  /** The policy route, for the challenge a failed settlement answers with (its price). */
  readonly route?: string;
  /** upto: what to settle, the authorised maximum being `requirements.amount`. */
  readonly upto?: UptoPricing;
}

export type PaymentAdmission =
  | { readonly kind: 'paid'; readonly hold: PaymentHold; readonly payer?: string; readonly degraded?: string }
  /**
   * `paymentError` is the error code for the client; `error`, for the decision log, is the same
   * code or what went wrong with the facilitator (its URL and answer, which may hold its error text).
   */
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly paymentError: string; readonly error: string; readonly approve?: Permit2Approval }
  /** The store could not record the replay key and the policy fails closed. */
  | { readonly kind: 'store-unavailable'; readonly error: string };

/** payment-allowance-required: 412, as the reference server answers a Permit2 payer without an allowance. */
export type RefusalReason = 'payment-invalid' | 'payment-unavailable' | 'payment-allowance-required';

export type PaymentSettlement =
  | { readonly kind: 'settled'; readonly headers: Readonly<Record<string, string>>; readonly response: SettleResponse }
  /** The upstream answered ≥ 400: nothing is charged and the payment may be presented again. */
  | { readonly kind: 'not-settled' }
  /** The facilitator did not settle: the client must get a 402 instead of the upstream's answer. */
  | { readonly kind: 'failed'; readonly headers: Readonly<Record<string, string>>; readonly response: SettleResponse; readonly error: string };

/** Failing closed: a claim whose answer is abandoned is refused (503), and voided through `compensations`. */
export interface ClosedClaims {
  readonly timeoutMs: number;
  readonly compensations: Compensations;
}

export class PaymentGate {
  /**
   * @param closed present when the policy fails closed: each claim then carries an owner token and
   *   a deadline, and a claim the engine abandoned is voided (only that owner's), so the payer may
   *   present the payment again. Failing open, a claim that lands late stands: the request was served.
   */
  constructor(
    private readonly policy: string,
    private readonly facilitator: Facilitator | undefined,
    private readonly store: StoreCalls,
    private readonly closed: ClosedClaims | undefined,
    private readonly observer: Observer,
  ) {}

  /** `route`: the policy route the offer was priced for. */
  async accept(payment: Payment, offer: OfferRequirements, route: string | undefined, now: number): Promise<PaymentAdmission> {
    const match = matchPayment(payment, offer);
    if (match.kind === 'mismatch') return this.#refuse('invalid', 'payment-invalid', match.reason);
    if (this.facilitator === undefined) return this.#refuse('unavailable', 'payment-invalid', 'facilitator_not_configured');
    const { entry } = match;
    // A v1 payment only ever matches an entry with a v1 form.
    const requirements = payment.version === 2 || entry.v1 === undefined ? entry.v2 : entry.v1;
    const verification = await this.facilitator.verify(payment.payload, requirements);
    if (verification.kind === 'unavailable') return this.#refuse('unavailable', 'payment-unavailable', FACILITATOR_UNAVAILABLE, verification.error);
    if (verification.kind === 'invalid') {
      if (verification.reason.toLowerCase() !== PERMIT2_ALLOWANCE_REQUIRED) return this.#refuse('invalid', 'payment-invalid', verification.reason);
      const approve = { network: entry.v2.network, token: entry.v2.asset, spender: PERMIT2_ADDRESS };
      return this.#refuse('invalid', 'payment-allowance-required', PERMIT2_ALLOWANCE_REQUIRED, PERMIT2_ALLOWANCE_REQUIRED, approve);
    }
    const replay = replayOf(payment, entry.v2, now);
    const hold: PaymentHold = {
      version: payment.version,
      payload: payment.payload,
      requirements,
      replay: replay.key,
      resource: offer.resource.url,
      ...(route === undefined ? {} : { route }),
      ...(entry.upto === undefined ? {} : { upto: entry.upto }),
    };
    const payer = verification.payer === undefined ? {} : { payer: verification.payer };
    const closed = this.closed;
    const owner = closed === undefined ? undefined : { owner: randomUUID(), deadline: Date.now() + closed.timeoutMs };
    try {
      const claim = await this.store.run('claim-payment', (s) => s.claimPayment(replay.key, replay.expiresAt, now, owner));
      if (claim === 'replayed') return this.#refuse('replayed', 'payment-invalid', 'payment_already_used');
      if (claim === 'too-late') return { kind: 'store-unavailable', error: 'the store received the payment claim after its deadline and recorded nothing' };
    } catch (error) {
      // Replay protection is the store's job: without it, the policy's failure mode decides.
      if (closed !== undefined && owner !== undefined) {
        if (!(error instanceof StoreCallNotSentError)) closed.compensations.voidClaim(replay.key, owner.owner);
        return { kind: 'store-unavailable', error: messageOf(error) };
      }
      this.observer.payment(this.policy, 'verified');
      return { kind: 'paid', hold, ...payer, degraded: messageOf(error) };
    }
    this.observer.payment(this.policy, 'verified');
    return { kind: 'paid', hold, ...payer };
  }

  /**
   * `meteredUnits`: the cost units the request was found to cost (metered routes), which an upto
   * payment settles at its price per unit; without it an upto payment settles its route's price.
   */
  async settle(hold: PaymentHold, upstreamStatus: number, meteredUnits?: number): Promise<PaymentSettlement> {
    if (upstreamStatus >= 400 || this.facilitator === undefined) {
      this.observer.payment(this.policy, 'not-settled');
      await this.#forget(hold.replay);
      return { kind: 'not-settled' };
    }
    const requirements = settlementRequirements(hold, meteredUnits);
    const settlement = await this.facilitator.settle(hold.payload, requirements);
    // upto: PAYMENT-RESPONSE reports what was charged, when the facilitator's answer does not.
    const amount = hold.upto === undefined || settlement.response.amount !== undefined ? {} : { amount: (requirements as RequirementsV2).amount };
    const response = { ...settlement.response, ...amount };
    const headers = responseHeaders(hold.version, response);
    if (settlement.kind === 'settled') {
      this.observer.payment(this.policy, 'settled');
      return { kind: 'settled', headers, response };
    }
    // The replay key stays claimed: a failed or timed-out settlement may still have spent the authorisation.
    this.observer.payment(this.policy, 'settle-failed');
    return { kind: 'failed', headers, response, error: settlement.error };
  }

  async #forget(key: string): Promise<void> {
    try {
      await this.store.run('forget-payment', (s) => s.forgetPayment(key));
    } catch {
      // The claim then simply lives until it expires: the payer signs a new authorisation.
    }
  }

  #refuse(event: 'invalid' | 'unavailable' | 'replayed', reason: RefusalReason, paymentError: string, error = paymentError, approve?: Permit2Approval): PaymentAdmission {
    this.observer.payment(this.policy, event);
    return { kind: 'refused', reason, paymentError, error, ...(approve === undefined ? {} : { approve }) };
  }

}

/** `PAYMENT-RESPONSE` for every payer, plus `X-PAYMENT-RESPONSE` for v1 payers (what v1 clients read). */
function responseHeaders(version: 1 | 2, response: SettleResponse): Record<string, string> {
  const value = encodePaymentResponseHeader(response);
  return version === 1 ? { [PAYMENT_RESPONSE_HEADER]: value, [X_PAYMENT_RESPONSE_HEADER]: value } : { [PAYMENT_RESPONSE_HEADER]: value };
}
