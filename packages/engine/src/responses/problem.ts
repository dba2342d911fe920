// Denials as RFC 9457 problem+json: a stable type URI per reason, the reason's status, and the
// members a client needs to fix it (plan, violated policies, reset time, links, balance, cost,
// and on a 402 the x402 challenge).
import type { ReasonCode } from '@tollgate/policy/schema';
import type { EngineConfig } from '../config/engine-config.js';
import type { DecisionLog, Deny } from '../types.js';
import { DEFAULT_PROBLEM_BASE_URI, REASONS } from './reasons.js';
import { compileOffer } from '../x402/offer.js';
import type { Permit2Approval } from '../x402/payment-gate.js';
import { PAYMENT_REQUIRED_HEADER, x402Challenge } from './x402.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemFacts {
  readonly requestId?: string;
  readonly plan?: string;
  readonly violated?: readonly string[];
  readonly resetAt?: number;
  readonly balance?: number;
  readonly cost?: number;
  /** Where the request went, for the x402 `resource`. */
  readonly resourceUrl: string;
  /** The policy route, for the x402 offer's price on it. */
  readonly route?: string;
  /** Why the payment the request carried was refused (an x402 error code): the challenge's `error`. */
  readonly paymentError?: string;
  /** A Permit2 payer's missing approval: what to approve, for the client to send before paying again. */
  readonly approve?: Permit2Approval;
}

/**
 * Refusals of a payment that are not 402 but still carry the challenge: a malformed payment (400,
 * the transport spec's "Invalid Payment") and a Permit2 payer without an allowance (412), so the
 * client has the offer to build its next payment from.
 */
const CHALLENGED_PAYMENT_REFUSALS: ReadonlySet<ReasonCode> = new Set(['payment-malformed', 'payment-allowance-required']);

export type BuildDeny = (reason: ReasonCode, facts: ProblemFacts, headers: Record<string, string>, log: DecisionLog) => Deny;

export function compileDeny(config: EngineConfig): BuildDeny {
  const base = config.responses?.problemBaseUri ?? DEFAULT_PROBLEM_BASE_URI;
  const types = config.responses?.types ?? {};
  const messages = config.responses?.messages ?? {};
  const payment = config.payment ?? {};
  const offer = compileOffer(payment.x402, config.policy);
  const links: Partial<Record<ReasonCode, Record<string, string>>> = {
    'subscription-inactive': pick({ billingUrl: payment.billingUrl, upgradeUrl: payment.upgradeUrl }),
    'plan-upgrade-required': pick({ upgradeUrl: payment.upgradeUrl }),
    'quota-exhausted': pick({ upgradeUrl: payment.upgradeUrl, topUpUrl: payment.topUpUrl }),
    'insufficient-credits': pick({ topUpUrl: payment.topUpUrl, upgradeUrl: payment.upgradeUrl }),
  };

  return (reason, facts, headers, log) => {
    const { status, title } = REASONS[reason];
    const detail = messages[reason] ?? REASONS[reason].detail;
    const body: Record<string, unknown> = { type: types[reason] ?? `${base}${reason}`, title, status, detail };
    if (facts.requestId !== undefined) body.instance = facts.requestId;
    if (facts.plan !== undefined) body.plan = facts.plan;
    if (facts.violated !== undefined && facts.violated.length > 0) body['violated-policies'] = facts.violated;
    if (facts.resetAt !== undefined) body.resetAt = new Date(facts.resetAt).toISOString();
    Object.assign(body, links[reason]);
    if (facts.balance !== undefined) body.balance = facts.balance;
    if (facts.cost !== undefined) body.cost = facts.cost;
    if (facts.paymentError !== undefined) body.paymentError = facts.paymentError;
    if (facts.approve !== undefined) body.approve = facts.approve;
    headers['Content-Type'] = PROBLEM_CONTENT_TYPE;
    if (status === 402 || CHALLENGED_PAYMENT_REFUSALS.has(reason)) {
      headers['Cache-Control'] = 'no-store';
      if (offer !== undefined) {
        const challenge = x402Challenge(offer.requirements(facts.route, facts.resourceUrl), facts.paymentError ?? detail);
        headers[PAYMENT_REQUIRED_HEADER] = challenge.header;
        Object.assign(body, challenge.body);
      }
    }
    return { kind: 'deny', status, reason, headers, body: JSON.stringify(body), log };
  };
}

function pick(links: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(links).filter((e): e is [string, string] => e[1] !== undefined));
}
