// What the engine reports as it works, for the decision log and the metrics: every decision with
// its latency, every store call with its duration and whether it failed, every payment event.
// The runtime plugs the sinks in; an engine created without one reports nowhere.
import type { DecisionLog } from '../types.js';

export type StoreOperation = 'admit' | 'complete-hold' | 'claim-payment' | 'forget-payment' | 'void-admission' | 'claim-notice' | 'preview-admit';

export const PAYMENT_EVENTS = ['verified', 'invalid', 'unavailable', 'replayed', 'settled', 'settle-failed', 'not-settled'] as const;
export type PaymentEvent = (typeof PAYMENT_EVENTS)[number];

/** A settlement attempt after the upstream answered, for the decision log. */
export interface SettlementLog {
  readonly policy: string;
  readonly requestId?: string;
  readonly event: PaymentEvent;
  readonly upstreamStatus: number;
  readonly payer?: string;
  readonly transaction?: string;
  readonly network?: string;
  readonly error?: string;
}

/** What the engine sent again after answering (compensations.ts). */
export type CompensationWork = 'void-admission' | 'void-claim' | 'complete-hold';

/** A compensation that landed or was given up, for the decision log and the metrics. */
export interface CompensationLog {
  readonly policy: string;
  readonly work: CompensationWork;
  readonly outcome: 'landed' | 'given-up';
  readonly attempts: number;
  /** A completion given up: its hold expires unsettled, and the store then settles it this way (`costs.onUnsettled`). */
  readonly unsettled?: 'commit' | 'release';
  readonly error?: string;
}

/** A webhook notification sent (the receiver answered 2xx) or given up, for the decision log and the metrics. */
export interface NotificationLog {
  readonly policy: string;
  readonly type: 'quota.threshold' | 'credits.below' | 'payment.denied';
  readonly outcome: 'sent' | 'failed';
  readonly attempts: number;
  readonly error?: string;
}

/**
 * How a metered route's hold was completed: `settled` at the actual cost the response stated;
 * `cost-unread` at the estimate, as the response did not state a readable cost; `released` (an
 * upstream 5xx under chargeOn success).
 */
export interface MeteringLog {
  readonly policy: string;
  readonly route: string;
  readonly requestId?: string;
  readonly event: 'settled' | 'cost-unread' | 'released';
  readonly upstreamStatus: number;
  /** Units held at admission. */
  readonly estimate: number;
  /** Units settled: the actual cost, or the estimate when unread; absent when released. */
  readonly settle?: number;
  /** What the store did: `settled` (charged, credits, writtenOff), `failed` (sent again later), … */
  readonly outcome: string;
  /** Units of the settlement beyond the overdraft: never charged. */
  readonly writtenOff?: number;
  readonly error?: string;
}

/** The x402 offer checked against the facilitator's GET /supported at start-up (x402/offer-support.ts). */
export interface OfferCheckLog {
  readonly policy: string;
  readonly facilitator: string;
  /** unchecked: the facilitator could not be asked (`error` says why). */
  readonly outcome: 'supported' | 'unsupported' | 'unchecked';
  /** How many payment options the offer has. */
  readonly options: number;
  /** One line per option the facilitator will not take. */
  readonly unsupported: readonly string[];
  readonly error?: string;
}

export interface Observer {
  decided(log: DecisionLog, latencyMs: number): void;
  storeCall(store: string, operation: StoreOperation, seconds: number, failed: boolean): void;
  payment(policy: string, event: PaymentEvent): void;
  settled(log: SettlementLog): void;
  compensated(log: CompensationLog): void;
  notified(log: NotificationLog): void;
  metered(log: MeteringLog): void;
  offerChecked(log: OfferCheckLog): void;
}

export const NO_OBSERVER: Observer = {
  decided: () => undefined,
  storeCall: () => undefined,
  payment: () => undefined,
  settled: () => undefined,
  compensated: () => undefined,
  notified: () => undefined,
  metered: () => undefined,
  offerChecked: () => undefined,
};

export function observeAll(observers: readonly Observer[]): Observer {
  if (observers.length === 0) return NO_OBSERVER;
  if (observers.length === 1) return observers[0] as Observer;
  return {
    decided: (log, ms) => {
      for (const o of observers) o.decided(log, ms);
    },
    storeCall: (store, operation, seconds, failed) => {
      for (const o of observers) o.storeCall(store, operation, seconds, failed);
    },
    payment: (policy, event) => {
      for (const o of observers) o.payment(policy, event);
    },
    settled: (log) => {
      for (const o of observers) o.settled(log);
    },
    compensated: (log) => {
      for (const o of observers) o.compensated(log);
    },
    notified: (log) => {
      for (const o of observers) o.notified(log);
    },
    metered: (log) => {
      for (const o of observers) o.metered(log);
    },
    offerChecked: (log) => {
      for (const o of observers) o.offerChecked(log);
    },
  };
}
