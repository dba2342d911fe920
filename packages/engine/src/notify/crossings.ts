// What a decision crossed, from the numbers the store already answered with (no store call of its
// own): a quota reaching a configured percentage, the credit balance falling below its threshold,
// a refusal for a payment reason. Each crossing is a notice with the dedupe record that makes it
// at most once per account, threshold and period (the quota's billing period; a credit notice
// until credits rise again; a refusal's quota period, else the UTC day).
import type { ReasonCode } from '@tollgate/policy/schema';
import { DAY_MS } from '../store/billing-period.js';
import type { AdmissionResult, NoticeClaim, QuotaState } from '../store/store.js';

export type NoticeType = 'quota.threshold' | 'credits.below' | 'payment.denied';

/** The notification settings with every default written out (the compiler writes them). */
export interface NoticeSettings {
  readonly quotaPercent: readonly number[];
  readonly creditsBelow?: number;
  readonly paymentDenied: boolean;
}

export interface Notice {
  readonly type: NoticeType;
  readonly account: string;
  readonly plan: string | undefined;
  readonly claim: NoticeClaim;
  /** The event's `data` member: what was crossed, with its numbers (instants as ISO strings). */
  readonly data: Readonly<Record<string, unknown>>;
}

/** The 402 refusals an account can get out of by paying (x402 refusals concern no account). */
const PAYMENT_REASONS: ReadonlySet<ReasonCode> = new Set(['subscription-inactive', 'plan-upgrade-required', 'quota-exhausted', 'insufficient-credits']);

/**
 * The thresholds an allowed admission crossed: a quota this request counted in (not one it
 * exceeded, `violated`) whose `used` went from below a percentage of its limit to at or above it;
 * credits this request drew that took the balance from at least `creditsBelow` to under it.
 * Undefined (no array) when nothing was crossed, the usual case.
 */
export function allowedCrossings(settings: NoticeSettings, policy: string, account: string, result: AdmissionResult, cost: number): Notice[] | undefined {
  let notices: Notice[] | undefined;
  for (const quota of result.quotas) {
    if (result.violated.length > 0 && result.violated.includes(quota.unit)) continue;
    const counted = quota.unit === 'requests' ? 1 : cost;
    for (const percent of settings.quotaPercent) {
      const mark = (quota.limit * percent) / 100;
      if (quota.used - counted < mark && quota.used >= mark) (notices ??= []).push(quotaNotice(policy, account, result.plan, quota, percent));
    }
  }
  const below = settings.creditsBelow;
  if (below !== undefined && result.charged > 0 && result.account.credits < below && result.account.credits + result.charged >= below) {
    const claim: NoticeClaim = { key: `${policy}|credits.below|${String(below)}`, expiresAt: Number.MAX_SAFE_INTEGER, untilCreditsRise: true };
    (notices ??= []).push({ type: 'credits.below', account, plan: result.plan, claim, data: { threshold: below, balance: result.account.credits } });
  }
  return notices;
}

/** The notice of a refusal for a payment reason, or undefined for any other refusal. */
export function deniedNotice(settings: NoticeSettings, policy: string, account: string, result: AdmissionResult, reason: ReasonCode, now: number): Notice | undefined {
  if (!settings.paymentDenied || !PAYMENT_REASONS.has(reason)) return undefined;
  const resetAt = reason === 'quota-exhausted' ? Math.max(...result.quotas.map((q) => q.resetAt)) : undefined;
  // A quota refusal lasts its period; a credit refusal until credits rise; the others a UTC day at most.
  const expiresAt = resetAt ?? (reason === 'insufficient-credits' ? Number.MAX_SAFE_INTEGER : now - (now % DAY_MS) + DAY_MS);
  const claim: NoticeClaim = { key: `${policy}|payment.denied|${reason}|${String(expiresAt)}`, expiresAt, untilCreditsRise: reason === 'insufficient-credits' };
  const data = {
    reason,
    status: 402,
    balance: result.account.credits,
    ...(resetAt === undefined ? {} : { resetAt: new Date(resetAt).toISOString() }),
    ...(result.account.status === undefined ? {} : { subscriptionStatus: result.account.status }),
  };
  return { type: 'payment.denied', account, plan: result.plan, claim, data };
}

function quotaNotice(policy: string, account: string, plan: string | undefined, quota: QuotaState, percent: number): Notice {
  // The period is named by its end: one notice per percentage and billing period.
  const claim: NoticeClaim = { key: `${policy}|quota.threshold|${quota.unit}|${String(percent)}|${String(quota.resetAt)}`, expiresAt: quota.resetAt, untilCreditsRise: false };
  const data = { unit: quota.unit, percent, limit: quota.limit, used: quota.used, resetAt: new Date(quota.resetAt).toISOString() };
  return { type: 'quota.threshold', account, plan, claim, data };
}
