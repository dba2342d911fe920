// The in-memory store: one process, synchronous, and the reference semantics of the Store
// contract (see ../README.md). Every method runs to completion without yielding, which is what
// makes it atomic.
import { billingPeriod } from '../billing-period.js';
import {
  ACCOUNT_PATCH_OPERATION,
  eventStampError,
  CREDIT_KEY_TTL_MS,
  HOLD_TTL_MS,
  MAX_CREDITS,
  type AccountOnceResult,
  type AccountPatch,
  type AccountState,
  type Admission,
  type AdmissionOutcome,
  type AdmissionResult,
  type CreditChange,
  type CreditRefill,
  type CreditResult,
  type EventStamp,
  type HoldCompletion,
  type HoldResult,
  type NoticeClaim,
  type PaymentClaim,
  type VoidResult,
  type PlanRule,
  type QuotaRule,
  type QuotaState,
  type RouteRules,
  type Store,
  type WindowRule,
  type WindowState,
} from '../store.js';
import { MemoryUsageOutbox } from './usage-outbox.js';
import { admitsAt, checkWindow, rollWindow, windowStart, windowState, type WindowCounter } from '../windows.js';

interface Counter extends WindowCounter {
  ms: number;
}

interface QuotaCounter {
  start: number;
  end: number;
  used: number;
}

interface QuotaEntry {
  readonly rule: QuotaRule;
  readonly counter: QuotaCounter;
  readonly amount: number;
  readonly exhausted: boolean;
}

interface HeldQuota {
  readonly counter: QuotaCounter;
  readonly start: number;
  readonly amount: number;
}

interface LedgerEntry {
  readonly operation: string;
  readonly amount: number;
  readonly expires: number;
}

/** What a `chargeOn: success` admission took, until it is committed, released or expires. */
interface Hold {
  readonly credits: number;
  readonly quotas: readonly HeldQuota[];
  readonly expires: number;
  /** `costs.onUnsettled: commit`: expiry keeps what it took instead of giving it back. */
  readonly commitOnExpiry: boolean;
  /** Whose credits these are, for the usage outbox when the hold commits. */
  readonly policy: string;
}

interface AccountRecord {
  plan: string | undefined;
  status: AccountState['status'];
  paidThrough: number | undefined;
  periodAnchor: number | undefined;
  credits: number;
  /** Start of the last refill period whose refill was applied (CreditRefill). */
  refilledAt: number | undefined;
  /** The last AccountState handed out, reused until the account changes (most decisions change no field of it). */
  snapshot: AccountState | undefined;
  /** Rate-window counters by `[<scope>|]<policy>|<windowMs>`; created on first use, like the maps below. */
  windows: Map<string, Counter> | undefined;
  /** Quota counters by `<policy>|<unit>`; overage counters by `<policy>|overage`. */
  quotas: Map<string, QuotaCounter> | undefined;
  ledger: Map<string, LedgerEntry> | undefined;
  /** Per account field, the stamp of the event that last set it (updateAccountOnce with a stamp). */
  stamps: Map<keyof AccountPatch, EventStamp> | undefined;
  /** Open holds by hold key. */
  holds: Map<string, Hold> | undefined;
}

const SWEEP_EVERY_MS = 60_000;
const EMPTY: readonly never[] = [];
const NO_ACCOUNT: AccountState = Object.freeze({ credits: 0 });

export interface MemoryStoreStats {
  readonly accounts: number;
}

export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly #accounts = new Map<string, AccountRecord>();
  /** Claimed payment replay keys → expiry (epoch ms). */
  readonly #payments = new Map<string, number>();
  /** Every charge billed for good (store README, "Usage outbox"). */
  readonly usage = new MemoryUsageOutbox();
  /** Claimed notice keys (`<account>\n<key>`) → expiry (epoch ms); credit notices also listed by account. */
  readonly #notices = new Map<string, number>();
  readonly #creditNotices = new Map<string, Set<string>>();
  #lastSweep = 0;

  get stats(): MemoryStoreStats {
    return { accounts: this.#accounts.size };
  }

  admit(admission: Admission): AdmissionResult {
    const { rules, now } = admission;
    this.#maybeSweep(now);
    let record = this.#accounts.get(admission.account);
    if (record !== undefined) this.#expireHolds(admission.account, record, now);
    const plan = resolvePlan(rules, record?.plan, admission.fallbackPlan);
    const rule = plan === undefined ? rules.noPlan : (rules.plans[plan] as PlanRule);
    if (rules.subscription !== undefined && !subscriptionPasses(rules.subscription, record, now)) {
      return refusal('subscription-inactive', plan, record);
    }
    if (rule.kind === 'deny') return refusal(rule.reason, plan, record);

    const keys = rule.counters;
    const target = record ?? newRecord();
    // A refill is due by the clock alone, whatever this admission's outcome: applied (and kept) before the checks.
    if (rule.refill !== undefined && applyRefill(target, rule.refill, now) && record === undefined) {
      this.#accounts.set(admission.account, target);
      record = target;
    }
    const windowRules = rule.windows;
    const counters = windowCounters(target, windowRules, keys.windows, admission.scope, now);
    if (rule.quotas.length === 0 && !rule.credits) {
      // Most plans only limit the rate: nothing to meter, charge or hold, so the windows decide
      // alone. On a path of its own, this stays small enough for V8 to optimise as a whole.
      if (anyRefused(windowRules, counters, now)) return rateLimited(plan, record, windowRules, counters, EMPTY, now);
      if (record === undefined) this.#accounts.set(admission.account, target);
      return result('allowed', plan, target, countIn(windowRules, counters, now), EMPTY, EMPTY);
    }

    const quotas = checkQuotas(target, rule.quotas, keys.quotas, rules.cost, now);
    if (anyRefused(windowRules, counters, now)) return rateLimited(plan, record, windowRules, counters, quotas, now);
    const exhausted = anyExhausted(quotas);
    const violated = exhausted ? quotas.filter((q) => q.exhausted).map((q) => q.rule.unit) : EMPTY;
    if (exhausted && rule.overage === 'block') return result('quota-exhausted', plan, record, windowStates(windowRules, counters, now, false), quotas, violated);
    const draw = rule.credits || (exhausted && rule.overage === 'credits') ? rules.cost : 0;
    if (draw > target.credits) return result('insufficient-credits', plan, record, windowStates(windowRules, counters, now, false), quotas, violated);

    // Allowed: only now is anything written.
    if (record === undefined) this.#accounts.set(admission.account, target);
    const windows = countIn(windowRules, counters, now);
    let overage = 0;
    let held: HeldQuota[] | undefined; // only when a quota counted something: most admissions hold nothing
    for (const q of quotas) {
      if (q.exhausted) {
        if (rule.overage === 'bill') overage += q.amount;
      } else if (q.amount > 0) {
        q.counter.used += q.amount;
        (held ??= []).push({ counter: q.counter, start: q.counter.start, amount: q.amount });
      }
    }
    const first = quotas[0];
    if (overage > 0 && first !== undefined) quotaCounterFor(target, keys.overage, first.rule, now).used += overage;
    if (draw > 0) {
      target.credits -= draw;
      target.snapshot = undefined;
    }
    const holds = admission.holdKey !== undefined && (draw > 0 || held !== undefined);
    if (holds) {
      (target.holds ??= new Map()).set(admission.holdKey, { credits: draw, quotas: held ?? EMPTY, expires: now + HOLD_TTL_MS, commitOnExpiry: rules.onUnsettled === 'commit', policy: rules.policy });
    }
    const billedCredits = holds ? 0 : draw;
    if (overage > 0 || billedCredits > 0) this.usage.append(admission.account, rules.policy, overage, billedCredits, admission.holdKey, now);
    return result('allowed', plan, target, windows, quotas, violated, draw, overage);
  }

  /**
   * `admit` itself, on a copy of the account in a store of its own: the answer is admit's by
   * construction, and this store is never touched (structuredClone keeps a hold's references to
   * the quota counters it took from, so giving back expired holds works on the copy as on the original).
   */
  previewAdmit(admission: Admission): AdmissionResult {
    const scratch = new MemoryStore();
    const record = this.#accounts.get(admission.account);
    if (record !== undefined) scratch.#accounts.set(admission.account, structuredClone({ ...record, snapshot: undefined }));
    return scratch.admit({ ...admission, holdKey: undefined, id: undefined, deadline: undefined });
  }

  completeHold(account: string, holdKey: string, completion: HoldCompletion, now: number): HoldResult {
    const record = this.#accounts.get(account);
    if (record === undefined) return { kind: 'nothing-held' };
    this.#expireHolds(account, record, now);
    const hold = record.holds?.get(holdKey);
    if (hold === undefined) return { kind: 'nothing-held' };
    record.holds?.delete(holdKey);
    if (completion === 'commit') {
      this.#billCommitted(account, holdKey, hold, now);
      return { kind: 'committed', credits: hold.credits };
    }
    giveBack(record, hold);
    return { kind: 'released', credits: hold.credits };
  }

  /**
   * Admissions here are synchronous: the engine always has their answer, never abandons one, so
   * this store keeps no receipts and a void finds nothing to undo.
   */
  voidAdmission(): VoidResult {
    return 'nothing';
  }

  /** Synchronous too: a claim's owner and deadline never matter here (its answer is never abandoned). */
  claimPayment(key: string, expiresAt: number, now: number): PaymentClaim {
    const seen = this.#payments.get(key);
    if (seen !== undefined && seen > now) return 'replayed';
    this.#payments.set(key, expiresAt);
    return 'claimed';
  }

  forgetPayment(key: string): void {
    this.#payments.delete(key);
  }

  claimNotice(account: string, claim: NoticeClaim, now: number): boolean {
    const id = `${account}\n${claim.key}`;
    const until = this.#notices.get(id);
    if (until !== undefined && until > now) return false;
    this.#notices.set(id, claim.expiresAt);
    if (claim.untilCreditsRise) {
      let ids = this.#creditNotices.get(account);
      if (ids === undefined) this.#creditNotices.set(account, (ids = new Set()));
      ids.add(id);
    }
    return true;
  }

  forgetCreditNotices(account: string): void {
    for (const id of this.#creditNotices.get(account) ?? []) this.#notices.delete(id);
    this.#creditNotices.delete(account);
  }

  getAccount(account: string): AccountState {
    return snapshot(this.#accounts.get(account));
  }

  updateAccount(account: string, patch: AccountPatch): AccountState {
    const record = this.#record(account);
    applyPatch(record, patch);
    return snapshot(record);
  }

  updateAccountOnce(account: string, patch: AccountPatch, key: string, now: number, stamp?: EventStamp): AccountOnceResult {
    const record = this.#record(account);
    const seen = record.ledger?.get(key);
    if (seen !== undefined && seen.expires > now) return { kind: 'duplicate', account: snapshot(record) };
    const invalid = stamp === undefined ? undefined : eventStampError(stamp);
    if (invalid !== undefined) throw invalid;
    const newer = stamp === undefined ? patch : newerFields(record, patch, stamp);
    applyPatch(record, newer);
    ledgerOf(record).set(key, { operation: ACCOUNT_PATCH_OPERATION, amount: 0, expires: now + CREDIT_KEY_TTL_MS });
    const stale = stamp !== undefined && Object.keys(newer).length === 0 && Object.values(patch).some((value) => value !== undefined);
    return { kind: stale ? 'stale' : 'applied', account: snapshot(record) };
  }

  changeCredits(account: string, change: CreditChange): CreditResult {
    const record = this.#record(account);
    this.#expireHolds(account, record, change.now);
    if (change.key !== undefined) {
      const seen = record.ledger?.get(change.key);
      if (seen !== undefined && seen.expires > change.now) {
        const same = seen.operation === change.operation && seen.amount === change.amount;
        return { kind: same ? 'duplicate' : 'conflict', balance: record.credits };
      }
    }
    if (change.operation === 'debit') {
      if (record.credits < change.amount) return { kind: 'insufficient', balance: record.credits };
      record.credits -= change.amount;
    } else {
      if (change.amount > MAX_CREDITS - record.credits) return { kind: 'out-of-range', balance: record.credits };
      record.credits += change.amount;
    }
    record.snapshot = undefined;
    if (change.key !== undefined) {
      ledgerOf(record).set(change.key, { operation: change.operation, amount: change.amount, expires: change.now + CREDIT_KEY_TTL_MS });
    }
    return { kind: 'applied', balance: record.credits };
  }

  close(): Promise<void> {
    this.#accounts.clear();
    this.#payments.clear();
    this.#notices.clear();
    this.#creditNotices.clear();
    return Promise.resolve();
  }

  /** Settles every hold whose upstream never answered in time as `onUnsettled` says (default: given back). */
  #expireHolds(account: string, record: AccountRecord, now: number): void {
    // Most accounts hold nothing: this check is small enough to be inlined where it runs per request.
    if (record.holds !== undefined) this.#settleExpired(account, record, record.holds, now);
  }

  #settleExpired(account: string, record: AccountRecord, holds: Map<string, Hold>, now: number): void {
    for (const [key, hold] of holds) {
      if (hold.expires > now) continue;
      holds.delete(key);
      if (hold.commitOnExpiry) this.#billCommitted(account, key, hold, now);
      else giveBack(record, hold);
    }
  }

  /** A committed hold's credits go to the usage outbox: only now are they billed for good. */
  #billCommitted(account: string, holdKey: string, hold: Hold, now: number): void {
    if (hold.credits > 0) this.usage.append(account, hold.policy, 0, hold.credits, holdKey, now);
  }

  #record(account: string): AccountRecord {
    let record = this.#accounts.get(account);
    if (record === undefined) {
      record = newRecord();
      this.#accounts.set(account, record);
    }
    return record;
  }

  /** Gives back expired holds; drops expired counters, ledger entries, payment claims and accounts left with nothing; once a minute. */
  #maybeSweep(now: number): void {
    // The check alone, so that it is inlined into admit; the sweep itself is rare.
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) this.#sweep(now);
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [key, expires] of this.#payments) if (expires <= now) this.#payments.delete(key);
    for (const [id, expires] of this.#notices) if (expires <= now) this.#notices.delete(id);
    for (const [account, ids] of this.#creditNotices) {
      for (const id of ids) if (!this.#notices.has(id)) ids.delete(id);
      if (ids.size === 0) this.#creditNotices.delete(account);
    }
    for (const [id, record] of this.#accounts) {
      this.#expireHolds(id, record, now);
      for (const [key, counter] of record.windows ?? []) if (counter.start + 2 * counter.ms <= now) record.windows?.delete(key);
      for (const [key, counter] of record.quotas ?? []) if (counter.end <= now) record.quotas?.delete(key);
      for (const [key, entry] of record.ledger ?? []) if (entry.expires <= now) record.ledger?.delete(key);
      if (isEmpty(record)) this.#accounts.delete(id);
    }
  }
}

export function createMemoryStore(): MemoryStore {
  return new MemoryStore();
}

function resolvePlan(rules: RouteRules, own: string | undefined, fallback: string | undefined): string | undefined {
  if (own !== undefined && Object.hasOwn(rules.plans, own)) return own;
  if (fallback !== undefined && Object.hasOwn(rules.plans, fallback)) return fallback;
  return undefined;
}

function subscriptionPasses(subscription: NonNullable<RouteRules['subscription']>, record: AccountRecord | undefined, now: number): boolean {
  if (record?.status === undefined || !subscription.statuses.includes(record.status)) return false;
  // A failed payment (past_due) passes only through the grace period: without a paidThrough nothing bounds it.
  if (record.paidThrough === undefined) return record.status !== 'past_due';
  return now <= record.paidThrough + subscription.graceMs;
}

function refusal(outcome: AdmissionOutcome, plan: string | undefined, record: AccountRecord | undefined): AdmissionResult {
  return { outcome, plan, account: snapshot(record), windows: EMPTY, quotas: EMPTY, violated: EMPTY, charged: 0, overage: 0 };
}

/** The refusal when windows are full: it names them, and when all of them admit the request again. */
function rateLimited(
  plan: string | undefined,
  record: AccountRecord | undefined,
  rules: readonly WindowRule[],
  counters: readonly Counter[],
  quotas: readonly QuotaEntry[],
  now: number,
): AdmissionResult {
  const full = rules.map((rule, i) => ({ rule, check: checkWindow(rule, counters[i] as Counter, now) })).filter((w) => !w.check.allowed);
  const refused = result('rate-limited', plan, record, windowStates(rules, counters, now, false), quotas, full.map((w) => w.rule.name));
  return { ...refused, retryAfterMs: Math.max(...full.map((w) => w.check.retryMs)) };
}

function result(
  outcome: AdmissionOutcome,
  plan: string | undefined,
  record: AccountRecord | undefined,
  windows: readonly WindowState[],
  quotas: readonly QuotaEntry[],
  violated: readonly string[],
  charged = 0,
  overage = 0,
): AdmissionResult {
  return { outcome, plan, account: snapshot(record), windows, quotas: quotaStates(quotas), violated, charged, overage };
}

// The helpers below run on every admission, so they allocate only what the result needs: no list
// for no rules (most plans have no quota), each list at its final length and filled by a loop
// (`push` into `[]` allocates 17 slots, a `map` callback a closure), and no object per window
// check: the window arithmetic is pure and cheap, so it is computed again where needed rather than kept.

/** The counter of each window rule, in rule order, rolled to `now`. */
function windowCounters(record: AccountRecord, rules: readonly WindowRule[], keys: readonly string[], scope: string, now: number): readonly Counter[] {
  if (rules.length === 0) return EMPTY;
  const counters = new Array<Counter>(rules.length);
  for (let i = 0; i < rules.length; i++) {
    const key = keys[i] as string;
    counters[i] = counterFor(record, scope === '' ? key : `${scope}|${key}`, (rules[i] as WindowRule).ms, now);
  }
  return counters;
}

function anyRefused(rules: readonly WindowRule[], counters: readonly Counter[], now: number): boolean {
  for (let i = 0; i < rules.length; i++) if (!admitsAt(rules[i] as WindowRule, counters[i] as Counter, now)) return true;
  return false;
}

/** What the result reports of each window: as this request found it, counted in when admitted. */
function windowStates(rules: readonly WindowRule[], counters: readonly Counter[], now: number, admitted: boolean): readonly WindowState[] {
  if (rules.length === 0) return EMPTY;
  const states = new Array<WindowState>(rules.length);
  for (let i = 0; i < rules.length; i++) states[i] = windowState(rules[i] as WindowRule, counters[i] as Counter, now, admitted);
  return states;
}

/** Counts an admitted request in each window; returns what the result reports of them: as the request found them, counted in. */
function countIn(rules: readonly WindowRule[], counters: readonly Counter[], now: number): readonly WindowState[] {
  const states = windowStates(rules, counters, now, true);
  for (const counter of counters) counter.current += 1;
  return states;
}

/** Finds the counter of each quota rule in its current billing period and checks this request's amount; writes nothing. */
function checkQuotas(record: AccountRecord, rules: readonly QuotaRule[], keys: readonly string[], cost: number, now: number): readonly QuotaEntry[] {
  if (rules.length === 0) return EMPTY;
  const entries = new Array<QuotaEntry>(rules.length);
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as QuotaRule;
    const counter = quotaCounterFor(record, keys[i] as string, rule, now);
    const amount = rule.unit === 'requests' ? 1 : cost;
    entries[i] = { rule, counter, amount, exhausted: amount > 0 && counter.used + amount > rule.limit };
  }
  return entries;
}

function anyExhausted(quotas: readonly QuotaEntry[]): boolean {
  for (const q of quotas) if (q.exhausted) return true;
  return false;
}

function quotaStates(quotas: readonly QuotaEntry[]): readonly QuotaState[] {
  if (quotas.length === 0) return EMPTY;
  const states = new Array<QuotaState>(quotas.length);
  for (let i = 0; i < quotas.length; i++) {
    const { rule, counter } = quotas[i] as QuotaEntry;
    states[i] = { unit: rule.unit, limit: rule.limit, used: counter.used, resetAt: counter.end };
  }
  return states;
}

function applyPatch(record: AccountRecord, patch: AccountPatch): void {
  if (patch.plan !== undefined) record.plan = patch.plan ?? undefined;
  if (patch.status !== undefined) record.status = patch.status ?? undefined;
  if (patch.paidThrough !== undefined) record.paidThrough = patch.paidThrough ?? undefined;
  if (patch.periodAnchor !== undefined) record.periodAnchor = patch.periodAnchor ?? undefined;
  record.snapshot = undefined;
}

/** The fields of `patch` that no later event has set, each now stamped with `stamp`. */
function newerFields(record: AccountRecord, patch: AccountPatch, stamp: EventStamp): AccountPatch {
  const stamps = (record.stamps ??= new Map<keyof AccountPatch, EventStamp>());
  const newer: Record<string, unknown> = {};
  for (const field of Object.keys(patch) as (keyof AccountPatch)[]) {
    if (patch[field] === undefined) continue;
    const last = stamps.get(field);
    if (last !== undefined && !isLater(stamp, last)) continue;
    stamps.set(field, stamp);
    newer[field] = patch[field];
  }
  return newer;
}

/** The order of EventStamp; ids compared by UTF-16 code unit, which is byte order for the ASCII ids events carry (as the Lua script compares them). */
function isLater(stamp: EventStamp, than: EventStamp): boolean {
  if (stamp.at !== than.at) return stamp.at > than.at;
  if (stamp.rank !== than.rank) return stamp.rank > than.rank;
  return stamp.id > than.id;
}

function ledgerOf(record: AccountRecord): Map<string, LedgerEntry> {
  return (record.ledger ??= new Map<string, LedgerEntry>());
}

// Lookups that run per admission keep their rare "create" branch in a function of its own (here,
// counterFor and snapshot), so that they stay small enough for V8 to inline into admit.
function counterFor(record: AccountRecord, key: string, ms: number, now: number): Counter {
  const counters = (record.windows ??= new Map<string, Counter>());
  const counter = counters.get(key);
  if (counter === undefined) return newCounter(counters, key, ms, now);
  rollWindow(counter, now, ms);
  return counter;
}

function newCounter(counters: Map<string, Counter>, key: string, ms: number, now: number): Counter {
  const counter = { start: windowStart(now, ms), current: 0, previous: 0, ms };
  counters.set(key, counter);
  return counter;
}

function quotaCounterFor(record: AccountRecord, key: string, rule: QuotaRule, now: number): QuotaCounter {
  const period = billingPeriod(rule, now, record.periodAnchor);
  const counters = (record.quotas ??= new Map<string, QuotaCounter>());
  let counter = counters.get(key);
  if (counter === undefined) {
    counter = { start: period.start, end: period.end, used: 0 };
    counters.set(key, counter);
  } else if (counter.start !== period.start) {
    counter.start = period.start;
    counter.end = period.end;
    counter.used = 0;
  }
  return counter;
}

/** Tops the balance up to the refill's amount once per refill period; true when the period's refill was due. */
function applyRefill(record: AccountRecord, refill: CreditRefill, now: number): boolean {
  const start = billingPeriod(refill, now, undefined).start;
  if (record.refilledAt !== undefined && record.refilledAt >= start) return false;
  record.refilledAt = start;
  if (record.credits < refill.amount) record.credits = refill.amount;
  record.snapshot = undefined;
  return true;
}

function newRecord(): AccountRecord {
  return {
    plan: undefined,
    status: undefined,
    paidThrough: undefined,
    periodAnchor: undefined,
    credits: 0,
    refilledAt: undefined,
    snapshot: undefined,
    windows: undefined,
    quotas: undefined,
    ledger: undefined,
    stamps: undefined,
    holds: undefined,
  };
}

/** Credits back to the balance; quota units back to their counter while it still counts the same period. */
function giveBack(record: AccountRecord, hold: Hold): void {
  record.credits += hold.credits;
  record.snapshot = undefined;
  for (const { counter, start, amount } of hold.quotas) {
    if (counter.start === start) counter.used = Math.max(0, counter.used - amount);
  }
}

function isEmpty(record: AccountRecord): boolean {
  return (
    record.plan === undefined &&
    record.status === undefined &&
    record.paidThrough === undefined &&
    record.periodAnchor === undefined &&
    record.credits === 0 &&
    (record.windows?.size ?? 0) === 0 &&
    (record.quotas?.size ?? 0) === 0 &&
    (record.ledger?.size ?? 0) === 0 &&
    (record.stamps?.size ?? 0) === 0 &&
    (record.holds?.size ?? 0) === 0
  );
}

function snapshot(record: AccountRecord | undefined): AccountState {
  if (record === undefined) return NO_ACCOUNT;
  return record.snapshot ?? newSnapshot(record);
}

function newSnapshot(record: AccountRecord): AccountState {
  const state: { -readonly [K in keyof AccountState]: AccountState[K] } = { credits: record.credits };
  if (record.plan !== undefined) state.plan = record.plan;
  if (record.status !== undefined) state.status = record.status;
  if (record.paidThrough !== undefined) state.paidThrough = record.paidThrough;
  if (record.periodAnchor !== undefined) state.periodAnchor = record.periodAnchor;
  record.snapshot = Object.freeze(state);
  return record.snapshot;
}
