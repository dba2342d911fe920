// Script replies → the Store contract's values. Replies are checked member by member: a reply of
// the wrong shape (a script and a client from different versions, say) is an error with the
// offending reply in its message, never a half-read result.
import { SUBSCRIPTION_STATUSES } from '@tollgate/policy/schema';
import type {
  AccountOnceResult,
  AccountState,
  Admission,
  AdmissionOutcome,
  AdmissionResult,
  CreditResult,
  PlanRule,
  QuotaRule,
  QuotaState,
  HoldResult,
  PaymentClaim,
  SubscriptionStatus,
  VoidResult,
  WindowRule,
  WindowState,
} from '../store.js';

export class RedisReplyError extends Error {
  constructor(what: string, reply: unknown) {
    super(`unexpected reply from the redis ${what} script: ${JSON.stringify(reply)}`);
  }
}

/**
 * The admit reply's outcome codes (lua/admit.ts): index → outcome. DENIED_BY_RULE is the applied
 * plan's rule denying; its reason is that rule's.
 */
const OUTCOME_CODES: readonly AdmissionOutcome[] = ['allowed', 'rate-limited', 'quota-exhausted', 'insufficient-credits', 'subscription-inactive'];
const DENIED_BY_RULE = OUTCOME_CODES.length;
/** Past its deadline or voided before it ran: nothing written. */
const TOO_LATE = DENIED_BY_RULE + 1;
const CREDIT_KINDS: readonly CreditResult['kind'][] = ['applied', 'duplicate', 'conflict', 'insufficient', 'out-of-range'];
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

/** The account's fields as the scripts and HMGET read them, absent ones null. */
function accountState(plan: unknown, status: unknown, paidThrough: unknown, periodAnchor: unknown, credits: unknown, check: Check): AccountState {
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

/** The script's account array: plan, status, paidThrough, periodAnchor (null when absent), credits. */
export function parseAccount(reply: unknown, what = 'account'): AccountState {
  const check: Check = checker(what, reply);
  check(Array.isArray(reply) && reply.length === 5);
  const [plan, status, paidThrough, periodAnchor, credits] = reply as unknown[];
  return accountState(plan, status, paidThrough, periodAnchor, credits, check);
}

/** Members of the admit reply before its per-window and per-quota pairs (lua/admit.ts). */
const ADMIT_HEAD = 11;

/** The admit reply, laid out in lua/admit.ts. */
export function parseAdmission(reply: unknown, admission: Admission): AdmissionResult {
  const check: Check = checker('admit', reply);
  check(Array.isArray(reply) && reply.length >= ADMIT_HEAD);
  const members = reply as unknown[];
  const [code, applied, accountPlan, accountStatus, paidThrough, periodAnchor, credits, retryAfterMs, charged, overage, violatedBits] = members;
  check(typeof code === 'number' && typeof credits === 'number' && typeof charged === 'number' && typeof overage === 'number' && typeof violatedBits === 'number');
  check(retryAfterMs === null || typeof retryAfterMs === 'number');
  const plan = appliedPlan(applied, accountPlan, admission, check);
  const rule: PlanRule = plan === undefined ? admission.rules.noPlan : (admission.rules.plans[plan] as PlanRule);
  const outcome = code === DENIED_BY_RULE && rule.kind === 'deny' ? rule.reason : code === TOO_LATE ? 'too-late' : OUTCOME_CODES[code];
  check(outcome !== undefined);
  // A failed subscription is decided before the rule, a late admission before anything: their replies carry no windows or quotas.
  const checked = rule.kind === 'check' && outcome !== 'subscription-inactive' && outcome !== 'too-late';
  const windowRules = checked ? rule.windows : EMPTY;
  const quotaRules = checked ? rule.quotas : EMPTY;
  check(members.length === ADMIT_HEAD + 2 * (windowRules.length + quotaRules.length));
  // Violated: the refused windows of a rate-limited decision, else the exhausted quotas. Plain
  // index loops: this runs for every decision.
  const violated: string[] = [];
  const windows: WindowState[] = [];
  for (let i = 0; i < windowRules.length; i++) {
    const { name, limit } = windowRules[i] as WindowRule;
    const remaining = members[ADMIT_HEAD + 2 * i];
    const resetMs = members[ADMIT_HEAD + 2 * i + 1];
    check(typeof remaining === 'number' && typeof resetMs === 'number');
    windows.push({ name, limit, remaining, resetMs });
    if (outcome === 'rate-limited' && (violatedBits & (1 << i)) !== 0) violated.push(name);
  }
  const quotas: QuotaState[] = [];
  const quotasAt = ADMIT_HEAD + 2 * windowRules.length;
  for (let i = 0; i < quotaRules.length; i++) {
    const { unit, limit } = quotaRules[i] as QuotaRule;
    const used = members[quotasAt + 2 * i];
    const resetAt = members[quotasAt + 2 * i + 1];
    check(typeof used === 'number' && typeof resetAt === 'number');
    quotas.push({ unit, limit, used, resetAt });
    if (outcome !== 'rate-limited' && (violatedBits & (1 << i)) !== 0) violated.push(unit);
  }
  return {
    outcome,
    plan,
    account: accountState(accountPlan, accountStatus, paidThrough, periodAnchor, credits, check),
    windows,
    quotas,
    violated,
    charged,
    overage,
    ...(retryAfterMs === null ? {} : { retryAfterMs }),
  };
}

/** 1: the account's own plan, 2: the admission's fallback plan, 0: none (lua/admit.ts). */
function appliedPlan(applied: unknown, accountPlan: unknown, admission: Admission, check: Check): string | undefined {
  if (applied === 0) return undefined;
  const plan = applied === 1 ? accountPlan : applied === 2 ? admission.fallbackPlan : undefined;
  check(typeof plan === 'string' && Object.hasOwn(admission.rules.plans, plan));
  return plan;
}

export function parseAccountOnce(reply: unknown): AccountOnceResult {
  const check: Check = checker('update-account-once', reply);
  check(Array.isArray(reply) && reply.length === 2);
  const [kind, account] = reply as unknown[];
  check(kind === 'applied' || kind === 'stale' || kind === 'duplicate');
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
  const [kind, first, second, third] = reply as unknown[];
  if (kind === 'nothing-held' && reply.length === 1) return { kind };
  if (kind === 'settled') {
    check(reply.length === 4 && typeof first === 'number' && typeof second === 'number' && typeof third === 'number');
    return { kind, charged: first, credits: second, writtenOff: third };
  }
  check((kind === 'committed' || kind === 'released') && typeof first === 'number');
  return { kind, credits: first };
}

export function parseVoid(reply: unknown): VoidResult {
  if (reply !== 'voided' && reply !== 'nothing') throw new RedisReplyError('void-admission', reply);
  return reply;
}

export function parseClaim(reply: unknown): PaymentClaim {
  if (reply !== 'claimed' && reply !== 'replayed' && reply !== 'too-late') throw new RedisReplyError('claim-payment', reply);
  return reply;
}
