// A follow-up is what an Allow leaves for after the upstream answered, as one plain string the
// adapters keep with the request (Kong: kong.ctx.shared; APISIX runner: its per-request state):
// the hold of a `chargeOn: success` admission (or of a metered route, with what its settlement
// needs) and/or the payment to settle.
import type { FollowUp } from './types.js';
import type { PaymentHold } from './x402/payment-gate.js';

export interface FollowUpWork {
  readonly hold?: { readonly account: string; readonly key: string };
  readonly payment?: PaymentHold;
  /** Set on a metered route: the hold is settled at the actual cost the response states, and an x402 `upto` payment at that many units. */
  readonly meter?: MeterWork;
}

export interface MeterWork {
  readonly route: string;
  /** Units held at admission: charged when the response states no readable cost. */
  readonly estimate: number;
  /** The price key (model name or "*") the settlement prices tokens with. */
  readonly price?: string;
  readonly requestId?: string;
}

export function encodeFollowUp(work: FollowUpWork): FollowUp {
  return { id: JSON.stringify(work) };
}

/** The work, or undefined when the string is not a follow-up this engine handed out. */
export function decodeFollowUp(followUp: FollowUp): FollowUpWork | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(followUp.id);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const work = parsed as Record<string, unknown>;
  const { hold, payment, meter } = work;
  if (hold === undefined && payment === undefined) return undefined;
  if (hold !== undefined && !isHold(hold)) return undefined;
  if (meter !== undefined && !isMeter(meter)) return undefined;
  if (payment !== undefined && !isPayment(payment)) return undefined;
  return work;
}

function isHold(value: unknown): boolean {
  const h = value as Record<string, unknown> | null;
  return typeof h === 'object' && h !== null && typeof h.account === 'string' && typeof h.key === 'string';
}

function isMeter(value: unknown): boolean {
  const m = value as Record<string, unknown> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.route === 'string' &&
    Number.isSafeInteger(m.estimate) &&
    (m.estimate as number) >= 0 &&
    (m.price === undefined || typeof m.price === 'string') &&
    (m.requestId === undefined || typeof m.requestId === 'string')
  );
}

function isPayment(value: unknown): boolean {
  const p = value as Record<string, unknown> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    (p.version === 1 || p.version === 2) &&
    typeof p.payload === 'object' &&
    typeof p.requirements === 'object' &&
    typeof p.replay === 'string' &&
    typeof p.resource === 'string' &&
    (p.upto === undefined || (isUptoPricing(p.upto) && isAtomic((p.requirements as Record<string, unknown> | null)?.amount)))
  );
}

/** upto settles with BigInts of these: amounts in atomic units. */
function isUptoPricing(value: unknown): boolean {
  const u = value as Record<string, unknown> | null;
  return typeof u === 'object' && u !== null && isAtomic(u.price) && (u.perUnit === undefined || isAtomic(u.perUnit));
}

function isAtomic(amount: unknown): boolean {
  return typeof amount === 'string' && /^\d{1,78}$/.test(amount);
}
