// The pieces of a decision that need no engine state: the plan a caller's rules apply, the status a
// reason answers with, when a refused caller may come back, the x402 resource URL and what a
// settlement adds to the decision log.
import { LIFETIME_END } from './store/billing-period.js';
import type { AdmissionResult, PlanRule, RouteRules } from './store/store.js';
import type { PaymentSettlement } from './x402/payment-gate.js';
import type { RequestFacts } from './types.js';
import type { ReasonCode } from '@tollgate/policy/schema';
import { REASONS } from './responses/reasons.js';

export function settlementLog(payment: Exclude<PaymentSettlement, { kind: 'not-settled' }>) {
  const { payer, transaction, network } = payment.response;
  return {
    ...(payer === undefined ? {} : { payer }),
    ...(transaction === '' ? {} : { transaction }),
    network,
    ...(payment.kind === 'failed' ? { error: payment.error } : {}),
  };
}

export function statusOf(reason: ReasonCode | 'allowed'): number {
  return reason === 'allowed' ? 200 : REASONS[reason].status;
}

export function planRule(rules: RouteRules, plan: string | undefined): PlanRule {
  return plan === undefined ? rules.noPlan : (rules.plans[plan] ?? rules.noPlan);
}

export function resetAtOf(outcome: ReasonCode, result: AdmissionResult, now: number): number | undefined {
  if (outcome === 'rate-limited') return now + (result.retryAfterMs ?? 0);
  if (outcome !== 'quota-exhausted') return undefined;
  // Quotas of one plan share the billing period; the latest end is when all of them are fresh. A lifetime quota never is.
  const latest = result.quotas.reduce<number | undefined>((end, q) => Math.max(end ?? 0, q.resetAt), undefined);
  return latest === LIFETIME_END ? undefined : latest;
}

export function resourceUrl(facts: RequestFacts): string {
  return facts.host === undefined ? facts.path : `${facts.scheme ?? 'http'}://${facts.host}${facts.path}`;
}
