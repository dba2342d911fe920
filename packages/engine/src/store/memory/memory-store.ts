// The in-memory store: one process, synchronous, and the reference semantics of the Store
// contract (see ../README.md). Every method runs to completion without yielding, which is what
// makes it atomic.
import {
  ACCOUNT_PATCH_OPERATION,
  eventStampError,
  CREDIT_KEY_TTL_MS,
  grantExpiry,
  refundedDebit,
  HOLD_TTL_MS,
  MAX_CREDITS,
  MAX_OPEN_GRANTS,
  type AccountOnceResult,
  type AccountPatch,
  type AccountState,
  type Admission,
  type AdmissionResult,
  type CreditChange,
  type CreditResult,
  type EventStamp,
  type HoldCompletion,
  type HoldResult,
  type HoldSettlement,
  admissionCost,
  settlementAmount,
  type NoticeClaim,
  type PaymentClaim,
  type VoidResult,
  type PlanRule,
  type Store,
} from '../store.js';
import { MemoryUsageOutbox } from './usage-outbox.js';
import { applyPatch, applyRefill, EMPTY, giveBack, isEmpty, ledgerOf, newerFields, newRecord, quotaCounterFor, snapshot, type AccountRecord, type HeldQuota, type Hold } from './account-record.js';
import { settleHold, settleTerms } from './settle-hold.js';
import { addToGrant, expireGrants, giveBackCredits, grantFits, partsAfter, spendCredits, type GrantPart } from './credit-grants.js';
import { anyExhausted, anyRefused, checkQuotas, countIn, rateLimited, refusal, resolvePlan, result, subscriptionPasses, windowCounters, windowStates } from './admission-checks.js';

const SWEEP_EVERY_MS = 60_000;

export interface MemoryStoreStats {
  readonly accounts: number;
}

export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly #accounts = new Map<string, AccountRecord>();
  /** Claimed payment replay keys → expiry (epoch ms). */
  readonly #payments = new Map<string, number>();
  /** Every charge billed for good (store README, "Usage outbox"), when the store keeps them. */
  readonly usage: MemoryUsageOutbox;
  /** Claimed notice keys (`<account>\n<key>`) → expiry (epoch ms); credit notices also listed by account. */
  readonly #notices = new Map<string, number>();
  readonly #creditNotices = new Map<string, Set<string>>();
  #lastSweep = 0;

  /** `keepUsage`: keep the usage outbox for an in-process shipper (or a test) to take. */
  constructor(options: { readonly keepUsage?: boolean } = {}) {
    this.usage = new MemoryUsageOutbox(options.keepUsage === true);
  }

  get stats(): MemoryStoreStats {
    return { accounts: this.#accounts.size };
  }

  admit(admission: Admission): AdmissionResult {
    const { rules, now } = admission;
    this.#maybeSweep(now);
    let record = this.#accounts.get(admission.account);
    if (record !== undefined) this.#expireDue(admission.account, record, now);
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

    const cost = admissionCost(admission);
    const quotas = checkQuotas(target, rule.quotas, keys.quotas, cost, now);
    if (anyRefused(windowRules, counters, now)) return rateLimited(plan, record, windowRules, counters, quotas, now);
    const exhausted = anyExhausted(quotas);
    const violated = exhausted ? quotas.filter((q) => q.exhausted).map((q) => q.rule.unit) : EMPTY;
    if (exhausted && rule.overage === 'block') return result('quota-exhausted', plan, record, windowStates(windowRules, counters, now, false), quotas, violated);
    const draw = rule.credits || (exhausted && rule.overage === 'credits') ? cost : 0;
    // `draw > 0`: a balance below zero (a settlement's overdraft) refuses only what costs something.
    if (draw > 0 && draw > target.credits) return result('insufficient-credits', plan, record, windowStates(windowRules, counters, now, false), quotas, violated);

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
    const drawnFrom = draw > 0 ? spendCredits(target, draw) : EMPTY;
    // A hold (whatever it took: a settlement may still charge) is billed when it completes.
    if (admission.holdKey !== undefined) {
      const terms = settleTerms(target, rules, rule, quotas, cost, now);
      const hold = { credits: draw, grants: drawnFrom, quotas: held ?? EMPTY, overage, expires: now + HOLD_TTL_MS, commitOnExpiry: rules.onUnsettled === 'commit', policy: rules.policy, terms };
      (target.holds ??= new Map()).set(admission.holdKey, hold);
    } else if (overage > 0 || draw > 0) {
      this.usage.append(admission.account, rules.policy, overage, draw, undefined, now);
    }
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

  completeHold(account: string, holdKey: string, completion: HoldCompletion | HoldSettlement, now: number): HoldResult {
    if (typeof completion === 'object') settlementAmount(completion);
    const record = this.#accounts.get(account);
    if (record === undefined) return { kind: 'nothing-held' };
    this.#expireDue(account, record, now);
    const hold = record.holds?.get(holdKey);
    if (hold === undefined) return { kind: 'nothing-held' };
    record.holds?.delete(holdKey);
    if (typeof completion === 'object') {
      const settled = settleHold(record, hold, completion.settle, now);
      this.#bill(account, holdKey, hold.policy, settled.overage, settled.credits, now);
      return { kind: 'settled', charged: settled.charged, credits: settled.credits, writtenOff: settled.writtenOff };
    }
    return this.#close(account, holdKey, hold, completion, record, now);
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
    ledgerOf(record).set(key, { operation: ACCOUNT_PATCH_OPERATION, amount: 0, expiresAt: undefined, debitKey: undefined, left: 0, drawn: EMPTY, expires: now + CREDIT_KEY_TTL_MS });
    const stale = stamp !== undefined && Object.keys(newer).length === 0 && Object.values(patch).some((value) => value !== undefined);
    return { kind: stale ? 'stale' : 'applied', account: snapshot(record) };
  }

  changeCredits(account: string, change: CreditChange): CreditResult {
    const expiresAt = grantExpiry(change);
    const debitKey = refundedDebit(change);
    const record = this.#record(account);
    this.#expireDue(account, record, change.now);
    if (change.key !== undefined) {
      const seen = record.ledger?.get(change.key);
      if (seen !== undefined && seen.expires > change.now) {
        const same = seen.operation === change.operation && seen.amount === change.amount && seen.expiresAt === expiresAt && seen.debitKey === debitKey;
        return { kind: same ? 'duplicate' : 'conflict', balance: record.credits };
      }
    }
    let drawn: readonly GrantPart[] = EMPTY;
    if (change.operation === 'debit') {
      if (record.credits < change.amount) return { kind: 'insufficient', balance: record.credits };
      drawn = spendCredits(record, change.amount);
    } else {
      if (change.amount > MAX_CREDITS - record.credits) return { kind: 'out-of-range', balance: record.credits };
      if (debitKey !== undefined) {
        const debit = record.ledger?.get(debitKey);
        if (debit === undefined || debit.expires <= change.now || debit.operation !== 'debit') return { kind: 'no-such-debit', balance: record.credits };
        // Up to what is left of the debit, a give-back (to its grants while open); the rest permanent.
        const back = Math.min(change.amount, debit.left);
        giveBackCredits(record, back, debit.left, debit.drawn);
        debit.drawn = partsAfter(debit.drawn, debit.left, back);
        debit.left -= back;
        record.credits += change.amount - back;
      } else if (expiresAt === undefined) {
        record.credits += change.amount;
        record.snapshot = undefined;
      } else {
        if (!grantFits(record, expiresAt, MAX_OPEN_GRANTS)) return { kind: 'too-many-grants', balance: record.credits };
        addToGrant(record, expiresAt, change.amount);
      }
    }
    if (change.key !== undefined) {
      const left = change.operation === 'debit' ? change.amount : 0;
      ledgerOf(record).set(change.key, { operation: change.operation, amount: change.amount, expiresAt, debitKey, left, drawn, expires: change.now + CREDIT_KEY_TTL_MS });
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

  /** Drops expired grants, then settles expired holds: a hold's credits never return to a grant that expired. */
  #expireDue(account: string, record: AccountRecord, now: number): void {
    expireGrants(record, now);
    this.#expireHolds(account, record, now);
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
      this.#close(account, key, hold, hold.commitOnExpiry ? 'commit' : 'release', record, now);
    }
  }

  /** Commits (keeps) or releases (gives back) a hold already out of the account's holds; its overage is kept either way. */
  #close(account: string, holdKey: string, hold: Hold, completion: HoldCompletion, record: AccountRecord, now: number): HoldResult {
    if (completion === 'commit') {
      this.#bill(account, holdKey, hold.policy, hold.overage, hold.credits, now);
      return { kind: 'committed', credits: hold.credits };
    }
    const back = giveBack(record, hold);
    this.#bill(account, holdKey, hold.policy, hold.overage, 0, now);
    return { kind: 'released', credits: back };
  }

  /** A completed hold goes to the usage outbox: only now is it billed for good, once. */
  #bill(account: string, holdKey: string, policy: string, overage: number, credits: number, now: number): void {
    if (overage > 0 || credits > 0) this.usage.append(account, policy, overage, credits, holdKey, now);
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
      this.#expireDue(id, record, now);
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

