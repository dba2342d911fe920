// The pieces of a decision that need no engine state: the plan a caller's rules apply, the status a
// reason answers with, when a refused caller may come back, the x402 resource URL, what a
// settlement adds to the decision log and the refusal that replaces a response whose payment
// could not be settled.
import { LIFETIME_END } from './store/billing-period.js';
import type { AdmissionResult, PlanRule, RouteRules } from './store/store.js';
import type { PaymentHold, PaymentSettlement } from './x402/payment-gate.js';
import type { BuildDeny, ProblemFacts } from './responses/problem.js';
import type { DecisionLog, Deny, RequestFacts } from './types.js';
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

/** The 402 sent instead of the upstream's answer when its payment could not be settled. */
export function settlementFailed(deny: BuildDeny, policy: string, hold: PaymentHold, settlement: Extract<PaymentSettlement, { kind: 'failed' }>): Deny {
  const log: DecisionLog = { policy, decision: 'deny', reason: 'payment-invalid', status: 402, cost: 0, error: settlement.error };
  const problem: ProblemFacts = { resourceUrl: hold.resource, route: hold.route, paymentError: settlement.response.errorReason ?? 'unexpected_settle_error' };
  return deny('payment-invalid', problem, { ...settlement.headers }, log);
}
