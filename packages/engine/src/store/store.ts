// The store contract. One call to `admit` is one decision's whole check-and-update: the engine
// compiles a request into an Admission (every candidate plan's rule, precomputed once per route
// and method), and the store atomically reads the account, picks the plan, checks and consumes.
// The memory store is the reference semantics; README.md next to this file is the spec for the
// Redis store's Lua script.
import type { RateWindow, ReasonCode } from '@tollgate/policy/schema';

export type SubscriptionStatus = 'active' | 'trialing' | 'past_due' | 'unpaid' | 'canceled' | 'incomplete' | 'paused';

/** One account: a consumer (or an IP / header / credential identity without a consumer). */
export interface AccountState {
  readonly plan?: string;
  readonly status?: SubscriptionStatus;
  /** Epoch ms up to which the subscription is paid. */
  readonly paidThrough?: number;
  /** Epoch ms of the subscription start: anchors `anchor: subscription` billing periods. */
  readonly periodAnchor?: number;
  /**
   * Prepaid credit balance in cost units. Below zero only after a settlement took more than the
   * balance held (down to −RouteRules.overdraft at most); admissions that draw credits are then
   * refused until grants bring it back up.
   */
  readonly credits: number;
}

/** `null` clears a field; an absent member leaves it as it is. */
export interface AccountPatch {
  readonly plan?: string | null;
  readonly status?: SubscriptionStatus | null;
  readonly paidThrough?: number | null;
  readonly periodAnchor?: number | null;
}

export interface WindowRule {
  readonly name: RateWindow;
  readonly limit: number;
  /** Window length: second 1000, minute 60000, hour 3600000, day 86400000. */
  readonly ms: number;
  readonly sliding: boolean;
}

export type QuotaUnit = 'requests' | 'units';

export interface QuotaRule {
  /** requests: each admitted request adds 1; units: it adds the request's cost. */
  readonly unit: QuotaUnit;
  readonly limit: number;
  /** lifetime: one period that never ends (billing-period.ts, LIFETIME_END). */
  readonly per: QuotaPeriod;
  /** subscription: periods start at the account's periodAnchor (calendar when it has none). */
  readonly anchor: 'calendar' | 'subscription';
  /** Calendar periods on this IANA zone's wall clock (zoned-period.ts); absent = UTC. Never with anchor subscription. */
  readonly timeZone?: string;
}

export type QuotaPeriod = 'day' | 'week' | 'month' | 'year' | 'lifetime';

export type OverageMode = 'block' | 'credits' | 'bill';

export interface CreditRefill {
  readonly amount: number;
  readonly per: 'day' | 'month';
}

/** What one plan means for this route and method. */
export type PlanRule =
  | { readonly kind: 'deny'; readonly reason: 'plan-upgrade-required' | 'not-entitled' }
  | {
      readonly kind: 'check';
      readonly windows: readonly WindowRule[];
      readonly quotas: readonly QuotaRule[];
      /** Every request draws its cost from credits. */
      readonly credits: boolean;
      /** The balance is topped up to `amount` at the account's first admission under this rule in each UTC day or month. */
      readonly refill?: CreditRefill;
      readonly overage: OverageMode;
      readonly counters: PlanCounters;
    };

/**
 * The names of a check rule's counters within an account, unique to the policy, built with the
 * rule: a store that keys counters by name (the memory store) then builds none per request.
 */
export interface PlanCounters {
  /** One per window rule, in rule order: `<policy>|<window ms>`. */
  readonly windows: readonly string[];
  /** One per quota rule, in rule order: `<policy>|<unit>`. */
  readonly quotas: readonly string[];
  /** Where billed overage is counted: `<policy>|overage`. */
  readonly overage: string;
}

/** Caller-independent part of an admission: compiled once per (policy, route, method), immutable. */
export interface RouteRules {
  /** Namespace of this policy's counters. */
  readonly policy: string;
  /** Cost units of one request on this route and method. */
  readonly cost: number;
  /** Present when a subscription is required. */
  readonly subscription?: { readonly statuses: readonly SubscriptionStatus[]; readonly graceMs: number };
  readonly plans: Readonly<Record<string, PlanRule>>;
  /** The rule for an account whose plan resolves to none of `plans`. */
  readonly noPlan: PlanRule;
  /** What expiry does with a hold whose completion never arrived (`costs.onUnsettled`); absent = release. */
  readonly onUnsettled?: HoldCompletion;
  /**
   * Units a settlement (`completeHold` with `{settle}`) may take the credit balance below zero
   * (`costs.overdraft`); what it cannot take beyond that is written off. Absent = 0.
   */
  readonly overdraft?: number;
}

export interface Admission {
  /** Account id: the record read and the Redis Cluster hash tag of every key touched. */
  readonly account: string;
  /** Rate-window counters are per account and scope ('' = the account itself; else e.g. a credential id). */
  readonly scope: string;
  /** The plan when the account has none of its own (static consumer plan, else the policy default). */
  readonly fallbackPlan?: string;
  readonly now: number;
  readonly rules: RouteRules;
  /**
   * This request's cost in units when it is not `rules.cost`: the estimate a metered route holds,
   * or a price read from the request (an MCP tool's). A non-negative safe integer.
   */
  readonly cost?: number;
  /** When set, what is consumed is recorded under this key so `release` can give it back. */
  readonly holdKey?: string;
  /**
   * Set when the engine may abandon the answer (onFailure: closed): what an allowed admission
   * consumed is kept as a receipt under this id (the hold key when there is one) for
   * RECEIPT_TTL_MS, so that `voidAdmission` can undo exactly that. A store whose answer the engine
   * cannot abandon (a synchronous one) may ignore it.
   */
  readonly id?: string;
  /** Epoch ms by the host's wall clock (Date.now): past it the store refuses with `too-late`, writing nothing. */
  readonly deadline?: number;
}

/** `too-late`: the admission reached the store after its deadline (or after its void) and wrote nothing; the engine answers it as store-unavailable. */
export type AdmissionOutcome =
  | 'allowed'
  | 'too-late'
  | Exclude<ReasonCode, 'unauthenticated' | 'payment-required' | 'payment-invalid' | 'payment-unavailable' | 'store-unavailable'>;

export interface WindowState {
  readonly name: RateWindow;
  readonly limit: number;
  /** Left after this decision (after consuming when allowed), ≥ 0. */
  readonly remaining: number;
  /** Ms until the window frees capacity again (fixed: its end; sliding: one window length ahead at most). */
  readonly resetMs: number;
}

export interface QuotaState {
  readonly unit: QuotaUnit;
  readonly limit: number;
  readonly used: number;
  /** Epoch ms at which the current billing period ends; LIFETIME_END (billing-period.ts) for a lifetime quota: never. */
  readonly resetAt: number;
}

export interface AdmissionResult {
  readonly outcome: AdmissionOutcome;
  /** The plan that applied; absent when the account resolved to no plan. */
  readonly plan?: string;
  /** The account after the decision. */
  readonly account: AccountState;
  /** One per window rule of the applied plan, in rule order (empty when the plan rule denies or no plan). */
  readonly windows: readonly WindowState[];
  /** One per quota rule of the applied plan, in rule order. */
  readonly quotas: readonly QuotaState[];
  /** rate-limited only: ms until every violated window admits the request. */
  readonly retryAfterMs?: number;
  /** Names of the violated windows (rate-limited) or quota units (quota-exhausted). */
  readonly violated: readonly string[];
  /** Credits taken by this decision. */
  readonly charged: number;
  /** Units counted as billable overage by this decision. */
  readonly overage: number;
}

export type CreditOperation = 'grant' | 'debit' | 'refund';

export type CreditResult =
  | { readonly kind: 'applied'; readonly balance: number }
  /** The key was used before for the same operation and amount: nothing changed. */
  | { readonly kind: 'duplicate'; readonly balance: number }
  /** The key was used before for a different operation or amount: nothing changed. */
  | { readonly kind: 'conflict'; readonly balance: number }
  /** debit only: the balance is below the amount; nothing changed. */
  | { readonly kind: 'insufficient'; readonly balance: number }
  /** grant or refund: the balance would pass MAX_CREDITS, beyond which it would no longer be exact; nothing changed. */
  | { readonly kind: 'out-of-range'; readonly balance: number };

export interface CreditChange {
  readonly operation: CreditOperation;
  /** Positive integer cost units. */
  readonly amount: number;
  /** Idempotency key, required for debit and refund. */
  readonly key?: string;
  readonly now: number;
}

/**
 * What completing a `chargeOn: success` hold did: kept for good, given back, settled at the actual
 * cost, or nothing (already completed or expired). `credits`: what the hold drew from credits in
 * the end (given back: what it gave back).
 */
export type HoldResult =
  | { readonly kind: 'committed'; readonly credits: number }
  | { readonly kind: 'released'; readonly credits: number }
  /** `charged`: the units the settlement accounted for (the actual cost less `writtenOff`, what the balance could not take even down to −overdraft). */
  | { readonly kind: 'settled'; readonly charged: number; readonly credits: number; readonly writtenOff: number }
  | { readonly kind: 'nothing-held' };

/** Keep what the hold took, or give it back: what a completion (and expiry, `costs.onUnsettled`) does with a hold as it stands. */
export type HoldCompletion = 'commit' | 'release';
/** Charge exactly `settle` units (a non-negative safe integer) in place of what the hold took (store README, `completeHold`). */
export interface HoldSettlement {
  readonly settle: number;
}

/** The cost of an admission: its own (`Admission.cost`) or its route's; a RangeError when its own is no non-negative safe integer. */
export function admissionCost(admission: Admission): number {
  const { cost } = admission;
  if (cost === undefined) return admission.rules.cost;
  if (!Number.isSafeInteger(cost) || cost < 0) throw new RangeError(`an admission's cost must be a non-negative integer number of units, got ${String(cost)}`);
  return cost;
}

/** The amount of a settlement; a RangeError when it is no non-negative safe integer. */
export function settlementAmount(settlement: HoldSettlement): number {
  const { settle } = settlement;
  if (!Number.isSafeInteger(settle) || settle < 0) throw new RangeError(`a hold is settled with a non-negative integer number of units, got ${String(settle)}`);
  return settle;
}

/**
 * Where an external event stands in its source's order, for `updateAccountOnce`: of two stamps the
 * later is the one with the greater `at`, then the greater `rank`, then the greater `id` (compared
 * byte by byte). Each patched account field remembers the stamp of the event that last set it.
 */
export interface EventStamp {
  /** When the event happened at its source (Stripe: `created`, epoch seconds), a non-negative integer. */
  readonly at: number;
  /** Orders events of one `at`, a non-negative integer (Stripe: the precedence of the event type). */
  readonly rank: number;
  /** Orders events of one `at` and `rank` (the event id), non-empty. */
  readonly id: string;
}

/** The RangeError for a stamp outside its documented domain (stores encode it as `<at>:<rank>:<id>`), else undefined. */
export function eventStampError(stamp: EventStamp): RangeError | undefined {
  const valid = Number.isSafeInteger(stamp.at) && stamp.at >= 0 && Number.isSafeInteger(stamp.rank) && stamp.rank >= 0 && stamp.id !== '';
  return valid ? undefined : new RangeError(`event stamp needs a non-negative integer at and rank and a non-empty id, got ${JSON.stringify(stamp)}`);
}

/**
 * What `updateAccountOnce` did: applied the patch (and recorded its key); found every field of it
 * already set by a later event (`stale`: nothing changed, the key recorded); or found the key used
 * before and changed nothing (`duplicate`).
 */
export interface AccountOnceResult {
  readonly kind: 'applied' | 'stale' | 'duplicate';
  /** The account after the call: patched when applied, as it is otherwise. */
  readonly account: AccountState;
}

/** Whether a payment's replay key was new (and is now recorded) or seen before; `too-late`: past the claim's deadline or voided, nothing recorded. */
export type PaymentClaim = 'claimed' | 'replayed' | 'too-late';

/** A claim the engine may abandon (onFailure: closed): its owner token (the void forgets only this claim) and deadline (epoch ms, host wall clock). */
export interface ClaimOwner {
  readonly owner: string;
  readonly deadline: number;
}

/** What `voidAdmission` found: a receipt it undid, or none (it left a tombstone so the admission, should it still run, refuses). */
export type VoidResult = 'voided' | 'nothing';

/**
 * Thrown (or rejected) by a store when a call was never sent (no connection): it cannot have
 * written anything, so the engine has nothing to void.
 */
export class StoreCallNotSentError extends Error {}

export type Awaitable<T> = T | Promise<T>;

/** A notification's dedupe record (notify/): one webhook per account and key, for as long as the record stays. */
export interface NoticeClaim {
  /** Unique within the account: policy, event kind, threshold and the period's start. */
  readonly key: string;
  /** Epoch ms at which the record goes: the end of the period the notice covers. */
  readonly expiresAt: number;
  /** Also forgotten by the account's next grant or refund (`forgetCreditNotices`): a credit notice stands until credits rise again. */
  readonly untilCreditsRise: boolean;
}

export interface Store {
  /** memory | redis | redis-cluster: shown in errors and logs. */
  readonly kind: string;
  /** One decision's check-and-update, atomic. First gives back every hold of the account that expired. */
  admit(admission: Admission): Awaitable<AdmissionResult>;
  /**
   * What `admit` would answer for this admission right now, writing nothing (`tollgate why`): the
   * same checks on the same state, expired holds counted as given back, the result as admit
   * reports it (an allowed one as if consumed). Its holdKey, id and deadline are ignored.
   */
  previewAdmit(admission: Admission): Awaitable<AdmissionResult>;
  /**
   * Completes the hold an admission recorded under `holdKey`, at most once: `commit` keeps what it
   * took, `release` gives back its credits and quota units (never rate windows), `{settle}` charges
   * exactly that many units in its place (README.md, `completeHold`). A hold already completed or
   * past its expiry (settled then as `onUnsettled` says) answers `nothing-held`.
   */
  completeHold(account: string, holdKey: string, completion: HoldCompletion | HoldSettlement, now: number): Awaitable<HoldResult>;
  /**
   * Undoes an admission the engine abandoned (answered with a refusal), at most once: the windows,
   * quota, overage and credits its receipt `id` recorded are given back (an open hold leaves its
   * set). No receipt → nothing to undo; a tombstone stays for RECEIPT_TTL_MS so that the admission,
   * should it still run, refuses with `too-late`. Idempotent.
   */
  voidAdmission(account: string, id: string, now: number): Awaitable<VoidResult>;
  /** Records a payment's replay key until `expiresAt` (epoch ms), atomically across every node sharing the store. */
  claimPayment(key: string, expiresAt: number, now: number, owner?: ClaimOwner): Awaitable<PaymentClaim>;
  /**
   * Forgets a claimed payment that was never settled, so the payer may present it again. With
   * `owner`, only that owner's claim (an abandoned one), leaving a tombstone when there is none.
   */
  forgetPayment(key: string, owner?: string): Awaitable<void>;
  getAccount(account: string): Awaitable<AccountState>;
  updateAccount(account: string, patch: AccountPatch): Awaitable<AccountState>;
  /**
   * Applies `patch` at most once per idempotency `key` of this account, atomically: a key used
   * before (within CREDIT_KEY_TTL_MS by the engine clock `now`) changes nothing → `duplicate`.
   * With a `stamp`, each field of the patch is written only when the stamp is later than the one of
   * the event that last set that field (older deliveries never undo newer ones), in the same step.
   */
  updateAccountOnce(account: string, patch: AccountPatch, key: string, now: number, stamp?: EventStamp): Awaitable<AccountOnceResult>;
  /**
   * Records a notice's dedupe key unless it is already recorded, atomically across every node
   * sharing the store: true the first time (the caller sends the webhook), false while it stays.
   */
  claimNotice(account: string, claim: NoticeClaim, now: number): Awaitable<boolean>;
  /** Forgets the account's credit notices (those claimed `untilCreditsRise`): its credits rose. */
  forgetCreditNotices(account: string): Awaitable<void>;
  /** Also gives back the account's expired holds first. */
  changeCredits(account: string, change: CreditChange): Awaitable<CreditResult>;
  close(): Promise<void>;
}

/**
 * The ledger's `operation` for an `updateAccountOnce` key: the account patch and credit operations
 * share one ledger, so a credit change reusing such a key is a `conflict`.
 */
export const ACCOUNT_PATCH_OPERATION = 'account-patch';
/** The largest credit balance: Number.MAX_SAFE_INTEGER, the last integer a double (JS, and Lua in Redis) holds exactly. */
export const MAX_CREDITS = Number.MAX_SAFE_INTEGER;
/** How long idempotency keys of credit operations and account patches are remembered. */
export const CREDIT_KEY_TTL_MS = 7 * 24 * 3600 * 1000;
/**
 * How long a `chargeOn: success` hold waits for its upstream's answer. A hold neither committed
 * nor released by then is given back (the success it was waiting for was never seen) the next
 * time the account is admitted or its credits change. Longer than any sane upstream timeout.
 */
export const HOLD_TTL_MS = 15 * 60 * 1000;
/**
 * How long an admission's receipt (and a void's tombstone) is kept: the engine retries a void at
 * most this long. A void that cannot land within it (the store unreachable throughout) is given up.
 */
export const RECEIPT_TTL_MS = 30 * 1000;
/** Longest a credit notice is kept when no grant or refund forgets it first. */
export const CREDIT_NOTICE_TTL_MS = 30 * 24 * 3600 * 1000;
/** Longest a payment's replay key is kept, whatever its authorisation's validBefore says. */
export const PAYMENT_CLAIM_MAX_MS = 7 * 24 * 3600 * 1000;
