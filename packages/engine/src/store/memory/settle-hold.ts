// Settling a hold at the actual cost in the memory store (store README, `completeHold`): the terms
// the admission leaves in its hold, and the settlement that charges the actual in place of the
// estimate. lua/settle-hold.ts is the same, line for line, for the Redis store.
import type { OverageMode, RouteRules } from '../store.js';
import { quotaCounterFor, type AccountRecord, type Hold, type PeriodCounter, type QuotaEntry, type SettleTerms } from './account-record.js';

/** What a settlement did: the units accounted for, the credits the hold drew in the end, what it wrote off and the overage it counted in the end. */
export interface Settlement {
  readonly charged: number;
  readonly credits: number;
  readonly writtenOff: number;
  readonly overage: number;
}

/** The terms of a hold an allowed admission records: its estimate, its plan's way past the quota, and the counters that way touches. */
export function settleTerms(
  record: AccountRecord,
  rules: RouteRules,
  rule: { readonly credits: boolean; readonly overage: OverageMode; readonly counters: { readonly overage: string } },
  quotas: readonly QuotaEntry[],
  estimate: number,
  now: number,
): SettleTerms {
  let overageWay = false;
  let exhaustedUnits = 0;
  const units: (PeriodCounter & { limit: number })[] = [];
  for (const q of quotas) {
    if (q.exhausted) {
      overageWay = true;
      if (q.rule.unit === 'units') exhaustedUnits++;
    } else if (q.rule.unit === 'units') {
      units.push({ counter: q.counter, start: q.counter.start, limit: q.rule.limit });
    }
  }
  const first = quotas[0];
  const overageCounter = rule.overage === 'bill' && first !== undefined ? quotaCounterFor(record, rule.counters.overage, first.rule, now) : undefined;
  return {
    estimate,
    overage: rule.overage,
    drawsCredits: rule.credits,
    overdraft: rules.overdraft ?? 0,
    overageWay,
    exhaustedUnits,
    units,
    overageCounter: overageCounter === undefined ? undefined : { counter: overageCounter, start: overageCounter.start },
  };
}

/**
 * Charges `actual` units in place of the hold's estimate; the hold is already out of the account's
 * holds. Less: every part the hold took comes down to the actual (credits given back first, then
 * overage, then quota units). More: the extra goes the plan's way: each quota counting units that
 * counted the request takes what its limit still allows (all of it under `block`, past the limit);
 * what one cannot take is billable overage (`bill`) or drawn from credits (`credits`) — all of it
 * when the request already went the overage way; a plan drawing credits draws the whole extra. A
 * draw takes the balance down to −overdraft at most; the rest is written off. Counters of a period
 * that has ended since are left alone.
 */
export function settleHold(record: AccountRecord, hold: Hold, actual: number, now: number): Settlement {
  const { terms } = hold;
  if (actual <= terms.estimate) {
    const back = terms.estimate - actual;
    const creditsBack = Math.min(hold.credits, back);
    record.credits += creditsBack;
    record.snapshot = undefined;
    const overageBack = Math.min(hold.overage, terms.exhaustedUnits * back);
    add(terms.overageCounter, -overageBack, now);
    for (const quota of terms.units) add(quota, -back, now);
    return { charged: actual, credits: hold.credits - creditsBack, writtenOff: 0, overage: hold.overage - overageBack };
  }
  const extra = actual - terms.estimate;
  let beyondMost = 0;
  let beyondAll = 0;
  for (const quota of terms.units) {
    if (!counting(quota, now)) continue;
    const fits = Math.min(extra, Math.max(0, quota.limit - quota.counter.used));
    const beyond = terms.overage === 'block' ? 0 : extra - fits;
    quota.counter.used += extra - beyond;
    beyondMost = Math.max(beyondMost, beyond);
    beyondAll += beyond;
  }
  const billed = terms.overage === 'bill' ? terms.exhaustedUnits * extra + beyondAll : 0;
  add(terms.overageCounter, billed, now);
  let draw = 0;
  if (terms.drawsCredits || (terms.overageWay && terms.overage === 'credits')) draw = extra;
  else if (terms.overage === 'credits') draw = beyondMost;
  const taken = Math.max(0, Math.min(draw, record.credits + terms.overdraft));
  record.credits -= taken;
  record.snapshot = undefined;
  const writtenOff = draw - taken;
  return { charged: actual - writtenOff, credits: hold.credits + taken, writtenOff, overage: hold.overage + billed };
}

/** Whether the counter still counts the period the hold found it in (the Lua script knows that period's end). */
function counting(held: PeriodCounter, now: number): boolean {
  return held.counter.start === held.start && now < held.counter.end;
}

/** Adds to a counter while it still counts the hold's period, never below zero. */
function add(held: PeriodCounter | undefined, amount: number, now: number): void {
  if (held !== undefined && counting(held, now)) held.counter.used = Math.max(0, held.counter.used + amount);
}
