// Script replies → the Store contract's values. Replies are checked member by member: a reply of
// the wrong shape (a script and a client from different versions, say) is an error with the
// offending reply in its message, never a half-read result.
import { REASON_CODES, SUBSCRIPTION_STATUSES, type ReasonCode } from '@tollgate/policy/schema';
import type {
  AccountOnceResult,
  AccountState,
  AdmissionOutcome,
  AdmissionResult,
  CreditResult,
  PlanRule,
  QuotaState,
  HoldResult,
  PaymentClaim,
  RouteRules,
  SubscriptionStatus,
  WindowState,
} from '../store.js';

export class RedisReplyError extends Error {
  constructor(what: string, reply: unknown) {
    super(`unexpected reply from the redis ${what} script: ${JSON.stringify(reply)}`);
  }
}

/** What `admit` can answer: allowed, or a reason the store itself decides. */
const NOT_FROM_STORES: readonly string[] = ['unauthenticated', 'payment-required', 'payment-invalid', 'payment-unavailable', 'store-unavailable'] satisfies Exclude<ReasonCode, AdmissionOutcome>[];
const OUTCOMES: readonly string[] = ['allowed', ...REASON_CODES.filter((r) => !NOT_FROM_STORES.includes(r))];
const CREDIT_KINDS: readonly CreditResult['kind'][] = ['applied', 'duplicate', 'conflict', 'insufficient'];
const EMPTY: readonly never[] = [];

type Check = (condition: boolean) => asserts condition;

function checker(what: string, reply: unknown): Check {
  return (condition) => {
    if (!condition) throw new RedisReplyError(what, reply);
  };
}

function isStatus(value: unknown): value is SubscriptionStatus {
  return (SUBSCRIPTION_STATUSES as readonly unknown[]).includes(value);
}

function isOutcome(value: unknown): value is AdmissionOutcome {
  return typeof value === 'string' && OUTCOMES.includes(value);
}

function isCreditKind(value: unknown): value is CreditResult['kind'] {
  return (CREDIT_KINDS as readonly unknown[]).includes(value);
}

/** Numbers stored in the account hash come back as strings; absent fields as null. */
function optionalNumber(value: unknown, check: Check): number | undefined {
  if (value === null) return undefined;
  const n = Number(value);
  check(typeof value === 'string' && Number.isFinite(n));
  return n;
}

/** The script's account array: plan, status, paidThrough, periodAnchor (null when absent), credits. */
export function parseAccount(reply: unknown, what = 'account'): AccountState {
  const check: Check = checker(what, reply);
  check(Array.isArray(reply) && reply.length === 5);
  const [plan, status, paidThrough, periodAnchor, credits] = reply as unknown[];
  check(plan === null || typeof plan === 'string');
  check(status === null || typeof status === 'string');
  // From a script `credits` is an integer reply; from HMGET the stored string, or null.
  const balance = typeof credits === 'number' ? credits : (optionalNumber(credits, check) ?? 0);
  const state: { -readonly [K in keyof AccountState]: AccountState[K] } = { credits: balance };
  if (plan !== null) state.plan = plan;
  // A status this version does not know passes no subscription check: it reads as none.
  if (isStatus(status)) state.status = status;
  const paid = optionalNumber(paidThrough, check);
  if (paid !== undefined) state.paidThrough = paid;
  const anchor = optionalNumber(periodAnchor, check);
  if (anchor !== undefined) state.periodAnchor = anchor;
  return state;
}

/** Fixed members before the counted lists of the admit reply (lua/admit.ts). */
const ADMIT_HEAD = 13;

export function parseAdmission(reply: unknown, rules: RouteRules): AdmissionResult {
  const check: Check = checker('admit', reply);
  check(Array.isArray(reply) && reply.length >= ADMIT_HEAD);
  const [outcome, plan, , , , , , retryAfterMs, charged, overage, windowCount, quotaCount, violatedCount] = reply as unknown[];
  check(isOutcome(outcome));
  check(plan === null || (typeof plan === 'string' && Object.hasOwn(rules.plans, plan)));
  check(retryAfterMs === null || typeof retryAfterMs === 'number');
  check(typeof charged === 'number' && typeof overage === 'number');
  check(typeof windowCount === 'number' && typeof quotaCount === 'number' && typeof violatedCount === 'number');
  check(reply.length === ADMIT_HEAD + 2 * windowCount + 2 * quotaCount + violatedCount);
  const rule: PlanRule = plan === null ? rules.noPlan : (rules.plans[plan] as PlanRule);
  const checked = rule.kind === 'check' && windowCount > 0 ? rule.windows : EMPTY;
  const quotaRules = rule.kind === 'check' && quotaCount > 0 ? rule.quotas : EMPTY;
  check(windowCount === checked.length && quotaCount === quotaRules.length);
  const numbers = reply.slice(ADMIT_HEAD, ADMIT_HEAD + 2 * (windowCount + quotaCount));
  check(numbers.every((n) => typeof n === 'number'));
  const violated = reply.slice(ADMIT_HEAD + numbers.length);
  check(violated.every((v) => typeof v === 'string'));
  const windows: WindowState[] = [];
  for (const [i, { name, limit }] of checked.entries()) windows.push({ name, limit, remaining: numbers[2 * i] as number, resetMs: numbers[2 * i + 1] as number });
  const quotas: QuotaState[] = [];
  const at = 2 * windowCount;
  for (const [i, { unit, limit }] of quotaRules.entries()) quotas.push({ unit, limit, used: numbers[at + 2 * i] as number, resetAt: numbers[at + 2 * i + 1] as number });
  return {
    outcome,
    plan: plan ?? undefined,
    account: parseAccount(reply.slice(2, 7), 'admit'),
    windows,
    quotas,
    violated,
    charged,
    overage,
    ...(retryAfterMs === null ? {} : { retryAfterMs }),
  };
}

export function parseAccountOnce(reply: unknown): AccountOnceResult {
  const check: Check = checker('update-account-once', reply);
  check(Array.isArray(reply) && reply.length === 2);
  const [kind, account] = reply as unknown[];
  check(kind === 'applied' || kind === 'duplicate');
  return { kind, account: parseAccount(account, 'update-account-once') };
}

export function parseCredit(reply: unknown): CreditResult {
  const check: Check = checker('change-credits', reply);
  check(Array.isArray(reply) && reply.length === 2);
  const [kind, balance] = reply as unknown[];
  check(isCreditKind(kind) && typeof balance === 'number');
  return { kind, balance };
}

export function parseHold(reply: unknown): HoldResult {
  const check: Check = checker('complete-hold', reply);
  check(Array.isArray(reply));
  const [kind, credits] = reply as unknown[];
  if (kind === 'nothing-held' && reply.length === 1) return { kind };
  check((kind === 'committed' || kind === 'released') && typeof credits === 'number');
  return { kind, credits };
}

export function parseClaim(reply: unknown): PaymentClaim {
  if (reply !== 'claimed' && reply !== 'replayed') throw new RedisReplyError('claim-payment', reply);
  return reply;
}
