// The in-memory store: one process, synchronous, and the reference semantics of the Store
// contract (see ../README.md). Every method runs to completion without yielding, which is what
// makes it atomic.
import { billingPeriod } from '../billing-period.js';
import {
  ACCOUNT_PATCH_OPERATION,
  CREDIT_KEY_TTL_MS,
  HOLD_TTL_MS,
  type AccountOnceResult,
  type AccountPatch,
  type AccountState,
  type Admission,
  type AdmissionOutcome,
  type AdmissionResult,
  type CreditChange,
  type CreditResult,
  type HoldCompletion,
  type HoldResult,
  type PaymentClaim,
  type PlanRule,
  type QuotaRule,
  type QuotaState,
  type RouteRules,
  type Store,
  type WindowRule,
  type WindowState,
} from '../store.js';
import { checkWindow, remainingAfter, rollWindow, type WindowCounter, type WindowCheck } from '../windows.js';

interface Counter extends WindowCounter {
  ms: number;
}

interface QuotaCounter {
  start: number;
  end: number;
  used: number;
}

interface WindowEntry {
  readonly rule: WindowRule;
  readonly counter: Counter;
  readonly check: WindowCheck;
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
}

interface AccountRecord {
  plan: string | undefined;
  status: AccountState['status'];
  paidThrough: number | undefined;
  periodAnchor: number | undefined;
  credits: number;
  /** The last AccountState handed out, reused until the account changes (most decisions change no field of it). */
  snapshot: AccountState | undefined;
  /** Rate-window counters by `[<scope>|]<policy>|<windowMs>`; created on first use, like the maps below. */
  windows: Map<string, Counter> | undefined;
  /** Quota counters by `<policy>|<unit>`; overage counters by `<policy>|overage`. */
  quotas: Map<string, QuotaCounter> | undefined;
  ledger: Map<string, LedgerEntry> | undefined;
  /** Open holds by hold key. */
  holds: Map<string, Hold> | undefined;
}

/** Per plan, the counter keys its rules use: built once per RouteRules, not per request. */
interface PlanKeys {
  readonly windows: readonly string[];
  readonly quotas: readonly string[];
  readonly overage: string;
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
  readonly #keys = new WeakMap<PlanRule, PlanKeys>();
  /** Claimed payment replay keys → expiry (epoch ms). */
  readonly #payments = new Map<string, number>();
  #lastSweep = 0;

  get stats(): MemoryStoreStats {
    return { accounts: this.#accounts.size };
  }

  admit(admission: Admission): AdmissionResult {
    const { rules, now } = admission;
    this.#maybeSweep(now);
    const record = this.#accounts.get(admission.account);
    if (record !== undefined) expireHolds(record, now);
    const plan = resolvePlan(rules, record?.plan, admission.fallbackPlan);
    const rule = plan === undefined ? rules.noPlan : (rules.plans[plan] as PlanRule);
    if (rules.subscription !== undefined && !subscriptionPasses(rules.subscription, record, now)) {
      return refusal('subscription-inactive', plan, record);
    }
    if (rule.kind === 'deny') return refusal(rule.reason, plan, record);

    const keys = this.#planKeys(rules, rule);
    const target = record ?? newRecord();
    const scope = admission.scope;
    const windows: WindowEntry[] = [];
    let limited = false;
    for (let i = 0; i < rule.windows.length; i++) {
      const windowRule = rule.windows[i] as WindowRule;
      const key = keys.windows[i] as string;
      const counter = counterFor(target, scope === '' ? key : `${scope}|${key}`, windowRule.ms, now);
      const check = checkWindow(windowRule, counter, now);
      if (!check.allowed) limited = true;
      windows.push({ rule: windowRule, counter, check });
    }
    const quotas: QuotaEntry[] = [];
    let exhausted = false;
    for (let i = 0; i < rule.quotas.length; i++) {
      const quotaRule = rule.quotas[i] as QuotaRule;
      const counter = quotaCounterFor(target, keys.quotas[i] as string, quotaRule, now);
      const amount = quotaRule.unit === 'requests' ? 1 : rules.cost;
      const over = amount > 0 && counter.used + amount > quotaRule.limit;
      if (over) exhausted = true;
      quotas.push({ rule: quotaRule, counter, amount, exhausted: over });
    }

    if (limited) {
      const refused = windows.filter((w) => !w.check.allowed);
      const retryAfterMs = Math.max(...refused.map((w) => w.check.retryMs));
      return { ...result('rate-limited', plan, record, windows, quotas, false, refused.map((w) => w.rule.name)), retryAfterMs };
    }
    const violated = exhausted ? quotas.filter((q) => q.exhausted).map((q) => q.rule.unit) : EMPTY;
    if (exhausted && rule.overage === 'block') return result('quota-exhausted', plan, record, windows, quotas, false, violated);
    const draw = rule.credits || (exhausted && rule.overage === 'credits') ? rules.cost : 0;
    if (draw > target.credits) return result('insufficient-credits', plan, record, windows, quotas, false, violated);

    // Allowed: only now is anything written.
    if (record === undefined) this.#accounts.set(admission.account, target);
    for (const w of windows) w.counter.current += 1;
    let overage = 0;
    const held: HeldQuota[] = [];
    for (const q of quotas) {
      if (q.exhausted) {
        if (rule.overage === 'bill') overage += q.amount;
      } else if (q.amount > 0) {
        q.counter.used += q.amount;
        held.push({ counter: q.counter, start: q.counter.start, amount: q.amount });
      }
    }
    const first = quotas[0];
    if (overage > 0 && first !== undefined) quotaCounterFor(target, keys.overage, first.rule, now).used += overage;
    if (draw > 0) {
      target.credits -= draw;
      target.snapshot = undefined;
    }
    if (admission.holdKey !== undefined && (draw > 0 || held.length > 0)) {
      (target.holds ??= new Map()).set(admission.holdKey, { credits: draw, quotas: held, expires: now + HOLD_TTL_MS });
    }
    return result('allowed', plan, target, windows, quotas, true, violated, draw, overage);
  }

  completeHold(account: string, holdKey: string, completion: HoldCompletion, now: number): HoldResult {
    const record = this.#accounts.get(account);
    if (record === undefined) return { kind: 'nothing-held' };
    expireHolds(record, now);
    const hold = record.holds?.get(holdKey);
    if (hold === undefined) return { kind: 'nothing-held' };
    record.holds?.delete(holdKey);
    if (completion === 'commit') return { kind: 'committed', credits: hold.credits };
    giveBack(record, hold);
    return { kind: 'released', credits: hold.credits };
  }

  claimPayment(key: string, expiresAt: number, now: number): PaymentClaim {
    const seen = this.#payments.get(key);
    if (seen !== undefined && seen > now) return 'replayed';
    this.#payments.set(key, expiresAt);
    return 'claimed';
  }

  forgetPayment(key: string): void {
    this.#payments.delete(key);
  }

  getAccount(account: string): AccountState {
    return snapshot(this.#accounts.get(account));
  }

  updateAccount(account: string, patch: AccountPatch): AccountState {
    const record = this.#record(account);
    applyPatch(record, patch);
    return snapshot(record);
  }

  updateAccountOnce(account: string, patch: AccountPatch, key: string, now: number): AccountOnceResult {
    const record = this.#record(account);
    const seen = record.ledger?.get(key);
    if (seen !== undefined && seen.expires > now) return { kind: 'duplicate', account: snapshot(record) };
    applyPatch(record, patch);
    ledgerOf(record).set(key, { operation: ACCOUNT_PATCH_OPERATION, amount: 0, expires: now + CREDIT_KEY_TTL_MS });
    return { kind: 'applied', account: snapshot(record) };
  }

  changeCredits(account: string, change: CreditChange): CreditResult {
    const record = this.#record(account);
    expireHolds(record, change.now);
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
    return Promise.resolve();
  }

  #record(account: string): AccountRecord {
    let record = this.#accounts.get(account);
    if (record === undefined) {
      record = newRecord();
      this.#accounts.set(account, record);
    }
    return record;
  }

  #planKeys(rules: RouteRules, rule: PlanRule & { kind: 'check' }): PlanKeys {
    let keys = this.#keys.get(rule);
    if (keys === undefined) {
      keys = {
        windows: rule.windows.map((w) => `${rules.policy}|${w.ms}`),
        quotas: rule.quotas.map((q) => `${rules.policy}|${q.unit}`),
        overage: `${rules.policy}|overage`,
      };
      this.#keys.set(rule, keys);
    }
    return keys;
  }

  /** Gives back expired holds; drops expired counters, ledger entries, payment claims and accounts left with nothing; once a minute. */
  #maybeSweep(now: number): void {
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    for (const [key, expires] of this.#payments) if (expires <= now) this.#payments.delete(key);
    for (const [id, record] of this.#accounts) {
      expireHolds(record, now);
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
  return record.paidThrough === undefined || now <= record.paidThrough + subscription.graceMs;
}

function refusal(outcome: AdmissionOutcome, plan: string | undefined, record: AccountRecord | undefined): AdmissionResult {
  return { outcome, plan, account: snapshot(record), windows: EMPTY, quotas: EMPTY, violated: EMPTY, charged: 0, overage: 0 };
}

function result(
  outcome: AdmissionOutcome,
  plan: string | undefined,
  record: AccountRecord | undefined,
  windows: readonly WindowEntry[],
  quotas: readonly QuotaEntry[],
  admitted: boolean,
  violated: readonly string[],
  charged = 0,
  overage = 0,
): AdmissionResult {
  // Loops and one object literal, no spreads or callbacks: this runs on every admitted request.
  let windowStates: readonly WindowState[] = EMPTY;
  if (windows.length > 0) {
    const states: WindowState[] = [];
    for (const { rule, check } of windows) {
      states.push({ name: rule.name, limit: rule.limit, remaining: remainingAfter(rule, check.usage, admitted), resetMs: check.allowed ? check.endMs : check.retryMs });
    }
    windowStates = states;
  }
  let quotaStates: readonly QuotaState[] = EMPTY;
  if (quotas.length > 0) {
    const states: QuotaState[] = [];
    for (const { rule, counter } of quotas) states.push({ unit: rule.unit, limit: rule.limit, used: counter.used, resetAt: counter.end });
    quotaStates = states;
  }
  return { outcome, plan, account: snapshot(record), windows: windowStates, quotas: quotaStates, violated, charged, overage };
}

function applyPatch(record: AccountRecord, patch: AccountPatch): void {
  if (patch.plan !== undefined) record.plan = patch.plan ?? undefined;
  if (patch.status !== undefined) record.status = patch.status ?? undefined;
  if (patch.paidThrough !== undefined) record.paidThrough = patch.paidThrough ?? undefined;
  if (patch.periodAnchor !== undefined) record.periodAnchor = patch.periodAnchor ?? undefined;
  record.snapshot = undefined;
}

function ledgerOf(record: AccountRecord): Map<string, LedgerEntry> {
  return (record.ledger ??= new Map<string, LedgerEntry>());
}

function counterFor(record: AccountRecord, key: string, ms: number, now: number): Counter {
  const counters = (record.windows ??= new Map<string, Counter>());
  let counter = counters.get(key);
  if (counter === undefined) {
    counter = { start: now - (now % ms), current: 0, previous: 0, ms };
    counters.set(key, counter);
  } else {
    rollWindow(counter, now, ms);
  }
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

function newRecord(): AccountRecord {
  return {
    plan: undefined,
    status: undefined,
    paidThrough: undefined,
    periodAnchor: undefined,
    credits: 0,
    snapshot: undefined,
    windows: undefined,
    quotas: undefined,
    ledger: undefined,
    holds: undefined,
  };
}

/** Gives back every hold whose upstream never answered in time. */
function expireHolds(record: AccountRecord, now: number): void {
  if (record.holds === undefined) return;
  for (const [key, hold] of record.holds) {
    if (hold.expires > now) continue;
    record.holds.delete(key);
    giveBack(record, hold);
  }
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
    (record.holds?.size ?? 0) === 0
  );
}

function snapshot(record: AccountRecord | undefined): AccountState {
  if (record === undefined) return NO_ACCOUNT;
  if (record.snapshot !== undefined) return record.snapshot;
  const state: { -readonly [K in keyof AccountState]: AccountState[K] } = { credits: record.credits };
  if (record.plan !== undefined) state.plan = record.plan;
  if (record.status !== undefined) state.status = record.status;
  if (record.paidThrough !== undefined) state.paidThrough = record.paidThrough;
  if (record.periodAnchor !== undefined) state.periodAnchor = record.periodAnchor;
  record.snapshot = Object.freeze(state);
  return record.snapshot;
}
