// The checks of one admission in the memory store, as pure functions of an account record: plan,
// subscription, rate windows and quotas, and the result they add up to.
import type { AdmissionOutcome, AdmissionResult, QuotaRule, QuotaState, RouteRules, WindowRule, WindowState } from '../store.js';
import { admitsAt, checkWindow, windowState } from '../windows.js';
import { counterFor, EMPTY, quotaCounterFor, snapshot, type AccountRecord, type Counter, type QuotaEntry } from './account-record.js';

export function resolvePlan(rules: RouteRules, own: string | undefined, fallback: string | undefined): string | undefined {
  if (own !== undefined && Object.hasOwn(rules.plans, own)) return own;
  if (fallback !== undefined && Object.hasOwn(rules.plans, fallback)) return fallback;
  return undefined;
}

export function subscriptionPasses(subscription: NonNullable<RouteRules['subscription']>, record: AccountRecord | undefined, now: number): boolean {
  if (record?.status === undefined || !subscription.statuses.includes(record.status)) return false;
  // A failed payment (past_due) passes only through the grace period: without a paidThrough nothing bounds it.
  if (record.paidThrough === undefined) return record.status !== 'past_due';
  return now <= record.paidThrough + subscription.graceMs;
}

export function refusal(outcome: AdmissionOutcome, plan: string | undefined, record: AccountRecord | undefined): AdmissionResult {
  return { outcome, plan, account: snapshot(record), windows: EMPTY, quotas: EMPTY, violated: EMPTY, charged: 0, overage: 0 };
}

/** The refusal when windows are full: it names them, and when all of them admit the request again. */
export function rateLimited(
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

export function result(
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
export function windowCounters(record: AccountRecord, rules: readonly WindowRule[], keys: readonly string[], scope: string, now: number): readonly Counter[] {
  if (rules.length === 0) return EMPTY;
  const counters = new Array<Counter>(rules.length);
  for (let i = 0; i < rules.length; i++) {
    const key = keys[i] as string;
    counters[i] = counterFor(record, scope === '' ? key : `${scope}|${key}`, (rules[i] as WindowRule).ms, now);
  }
  return counters;
}

export function anyRefused(rules: readonly WindowRule[], counters: readonly Counter[], now: number): boolean {
  for (let i = 0; i < rules.length; i++) if (!admitsAt(rules[i] as WindowRule, counters[i] as Counter, now)) return true;
  return false;
}

/** What the result reports of each window: as this request found it, counted in when admitted. */
export function windowStates(rules: readonly WindowRule[], counters: readonly Counter[], now: number, admitted: boolean): readonly WindowState[] {
  if (rules.length === 0) return EMPTY;
  const states = new Array<WindowState>(rules.length);
  for (let i = 0; i < rules.length; i++) states[i] = windowState(rules[i] as WindowRule, counters[i] as Counter, now, admitted);
  return states;
}

/** Counts an admitted request in each window; returns what the result reports of them: as the request found them, counted in. */
export function countIn(rules: readonly WindowRule[], counters: readonly Counter[], now: number): readonly WindowState[] {
  const states = windowStates(rules, counters, now, true);
  for (const counter of counters) counter.current += 1;
  return states;
}

/** Finds the counter of each quota rule in its current billing period and checks this request's amount; writes nothing. */
export function checkQuotas(record: AccountRecord, rules: readonly QuotaRule[], keys: readonly string[], cost: number, now: number): readonly QuotaEntry[] {
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

export function anyExhausted(quotas: readonly QuotaEntry[]): boolean {
  for (const q of quotas) if (q.exhausted) return true;
  return false;
}

export function quotaStates(quotas: readonly QuotaEntry[]): readonly QuotaState[] {
  if (quotas.length === 0) return EMPTY;
  const states = new Array<QuotaState>(quotas.length);
  for (let i = 0; i < quotas.length; i++) {
    const { rule, counter } = quotas[i] as QuotaEntry;
    states[i] = { unit: rule.unit, limit: rule.limit, used: counter.used, resetAt: counter.end };
  }
  return states;
}
