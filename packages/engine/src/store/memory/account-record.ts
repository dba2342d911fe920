// An account's state in the memory store and the operations on it that are not a Store method:
// counters, quota periods, the credit ledger, refills and holds given back.
import { billingPeriod } from '../billing-period.js';
import type { AccountPatch, AccountState, CreditRefill, EventStamp, OverageMode, QuotaRule } from '../store.js';
import { rollWindow, windowStart, type WindowCounter } from '../windows.js';

export const EMPTY: readonly never[] = [];
const NO_ACCOUNT: AccountState = Object.freeze({ credits: 0 });

export interface Counter extends WindowCounter {
  ms: number;
}

export interface QuotaCounter {
  start: number;
  end: number;
  used: number;
}

export interface QuotaEntry {
  readonly rule: QuotaRule;
  readonly counter: QuotaCounter;
  readonly amount: number;
  readonly exhausted: boolean;
}

export interface HeldQuota {
  readonly counter: QuotaCounter;
  readonly start: number;
  readonly amount: number;
}

export interface LedgerEntry {
  readonly operation: string;
  readonly amount: number;
  readonly expires: number;
}

/** What a `chargeOn: success` admission took, until it is committed, released, settled or expires. */
export interface Hold {
  readonly credits: number;
  readonly quotas: readonly HeldQuota[];
  /** Units counted as billable overage (`overage: bill`): kept by every completion, billed when the hold completes. */
  readonly overage: number;
  readonly expires: number;
  /** `costs.onUnsettled: commit`: expiry keeps what it took instead of giving it back. */
  readonly commitOnExpiry: boolean;
  /** Whose credits these are, for the usage outbox when the hold completes. */
  readonly policy: string;
  readonly terms: SettleTerms;
}

/** A counter of a billing period, as a hold found it: written only while it still counts that period. */
export interface PeriodCounter {
  readonly counter: QuotaCounter;
  readonly start: number;
}

/** What a settlement needs of the admission that held (memory/settle-hold.ts). */
export interface SettleTerms {
  /** The units the hold was taken for: the admission's cost. */
  readonly estimate: number;
  readonly overage: OverageMode;
  /** The plan draws every request's cost from credits. */
  readonly drawsCredits: boolean;
  readonly overdraft: number;
  /** A quota was exhausted at admission: the request went the overage way. */
  readonly overageWay: boolean;
  /** Of them, quotas counting units: under `bill` each added the estimate to the overage count. */
  readonly exhaustedUnits: number;
  /** The quotas counting units that counted this request (the estimate), with their limits. */
  readonly units: readonly (PeriodCounter & { readonly limit: number })[];
  /** Where `bill` counts overage: the policy's overage counter of the first quota's period. */
  readonly overageCounter: PeriodCounter | undefined;
}

export interface AccountRecord {
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

export function applyPatch(record: AccountRecord, patch: AccountPatch): void {
  if (patch.plan !== undefined) record.plan = patch.plan ?? undefined;
  if (patch.status !== undefined) record.status = patch.status ?? undefined;
  if (patch.paidThrough !== undefined) record.paidThrough = patch.paidThrough ?? undefined;
  if (patch.periodAnchor !== undefined) record.periodAnchor = patch.periodAnchor ?? undefined;
  record.snapshot = undefined;
}

/** The fields of `patch` that no later event has set, each now stamped with `stamp`. */
export function newerFields(record: AccountRecord, patch: AccountPatch, stamp: EventStamp): AccountPatch {
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
export function isLater(stamp: EventStamp, than: EventStamp): boolean {
  if (stamp.at !== than.at) return stamp.at > than.at;
  if (stamp.rank !== than.rank) return stamp.rank > than.rank;
  return stamp.id > than.id;
}

export function ledgerOf(record: AccountRecord): Map<string, LedgerEntry> {
  return (record.ledger ??= new Map<string, LedgerEntry>());
}

// Lookups that run per admission keep their rare "create" branch in a function of its own (here,
// counterFor and snapshot), so that they stay small enough for V8 to inline into admit.
export function counterFor(record: AccountRecord, key: string, ms: number, now: number): Counter {
  const counters = (record.windows ??= new Map<string, Counter>());
  const counter = counters.get(key);
  if (counter === undefined) return newCounter(counters, key, ms, now);
  rollWindow(counter, now, ms);
  return counter;
}

export function newCounter(counters: Map<string, Counter>, key: string, ms: number, now: number): Counter {
  const counter = { start: windowStart(now, ms), current: 0, previous: 0, ms };
  counters.set(key, counter);
  return counter;
}

export function quotaCounterFor(record: AccountRecord, key: string, rule: QuotaRule, now: number): QuotaCounter {
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
export function applyRefill(record: AccountRecord, refill: CreditRefill, now: number): boolean {
  const start = billingPeriod(refill, now, undefined).start;
  if (record.refilledAt !== undefined && record.refilledAt >= start) return false;
  record.refilledAt = start;
  if (record.credits < refill.amount) record.credits = refill.amount;
  record.snapshot = undefined;
  return true;
}

export function newRecord(): AccountRecord {
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
export function giveBack(record: AccountRecord, hold: Hold): void {
  record.credits += hold.credits;
  record.snapshot = undefined;
  for (const { counter, start, amount } of hold.quotas) {
    if (counter.start === start) counter.used = Math.max(0, counter.used - amount);
  }
}

export function isEmpty(record: AccountRecord): boolean {
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

export function snapshot(record: AccountRecord | undefined): AccountState {
  if (record === undefined) return NO_ACCOUNT;
  return record.snapshot ?? newSnapshot(record);
}

export function newSnapshot(record: AccountRecord): AccountState {
  const state: { -readonly [K in keyof AccountState]: AccountState[K] } = { credits: record.credits };
  if (record.plan !== undefined) state.plan = record.plan;
  if (record.status !== undefined) state.status = record.status;
  if (record.paidThrough !== undefined) state.paidThrough = record.paidThrough;
  if (record.periodAnchor !== undefined) state.periodAnchor = record.periodAnchor;
  record.snapshot = Object.freeze(state);
  return record.snapshot;
}
