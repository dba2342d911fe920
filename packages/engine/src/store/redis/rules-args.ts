// RouteRules as the one text argument the admit script reads (lua/admit.ts). One argument rather
// than one per field: every argument costs the client its own serialisation and the server its own
// string, and the script reads only the header and the rule of the plan that applies, finding that
// rule with one plain substring search. Built once per RouteRules (immutable and shared) and cached,
// with the calendar periods the client computes for the script (`calendars`): calendar months and
// years (in Lua the month arithmetic is the dearest part of the script) and every period in a time
// zone (Lua in Redis has no time-zone database); its context in the batch carries them.
//
// Layout (`\t` and `\n` are the only separators: names must not contain them):
//   policy \t cost \t grace ms ('' = no subscription required) \t statuses (space-separated) \t
//   onUnsettled ('commit', or '' = release) \t overdraft (units) \t noPlan rule \n, then per plan: name \t rule \n
// A rule: `deny <reason>` | `check <credits 1/0> <overage> <window count W> <quota count Q>`, then
//   W × ` <limit> <ms> <sliding 1/0>` (ms an integer: the script puts it into key names as written), then
//   Q × ` <unit> <limit> <per> <anchor> <calendar>`: calendar is the 1-based index in `calendars` of
//   the quota's calendar period when the client computes it, else 0 (the script does); then, when
//   the rule refills credits, ` refill <amount> <per> <calendar>` (calendar as for a quota).
import type { PeriodRule } from '../billing-period.js';
import type { PlanRule, RouteRules } from '../store.js';

export interface RulesArg {
  readonly text: string;
  /** The calendar periods (per and time zone, no anchor) the admit call carries for `now`, in index order. */
  readonly calendars: readonly PeriodRule[];
}

const cache = new WeakMap<RouteRules, RulesArg>();

export function rulesArg(rules: RouteRules): RulesArg {
  let arg = cache.get(rules);
  if (arg === undefined) {
    const calendars: PeriodRule[] = [];
    arg = { text: encode(rules, calendars), calendars };
    cache.set(rules, arg);
  }
  return arg;
}

function encode(rules: RouteRules, calendars: PeriodRule[]): string {
  const statuses = rules.subscription?.statuses.join(' ') ?? '';
  const grace = rules.subscription === undefined ? '' : String(rules.subscription.graceMs);
  const unsettled = rules.onUnsettled === 'commit' ? 'commit' : '';
  let text = `${separable(rules.policy)}\t${String(rules.cost)}\t${grace}\t${statuses}\t${unsettled}\t${String(overdraftOf(rules))}\t${encodeRule(rules.noPlan, calendars)}\n`;
  for (const [name, rule] of Object.entries(rules.plans)) text += `${separable(name)}\t${encodeRule(rule, calendars)}\n`;
  return text;
}

function encodeRule(rule: PlanRule, calendars: PeriodRule[]): string {
  if (rule.kind === 'deny') return `deny ${rule.reason}`;
  let text = `check ${rule.credits ? 1 : 0} ${rule.overage} ${rule.windows.length} ${rule.quotas.length}`;
  for (const w of rule.windows) text += ` ${String(w.limit)} ${keySegment(w.ms)} ${w.sliding ? 1 : 0}`;
  for (const q of rule.quotas) text += ` ${q.unit} ${String(q.limit)} ${q.per} ${q.anchor} ${String(calendarIndex(q, calendars))}`;
  if (rule.refill !== undefined) text += ` refill ${String(rule.refill.amount)} ${rule.refill.per} ${String(calendarIndex(rule.refill, calendars))}`;
  return text;
}

/** The 1-based index of the quota's calendar period in `calendars` (added when new), or 0 when the script computes it. */
function calendarIndex({ per, timeZone }: PeriodRule, calendars: PeriodRule[]): number {
  if (per === 'lifetime' || (timeZone === undefined && (per === 'day' || per === 'week'))) return 0;
  const found = calendars.findIndex((c) => c.per === per && c.timeZone === timeZone);
  if (found >= 0) return found + 1;
  calendars.push(timeZone === undefined ? { per, anchor: 'calendar' } : { per, anchor: 'calendar', timeZone });
  return calendars.length;
}

/** The overdraft a settlement may take the balance to, checked here: the script computes with it. */
function overdraftOf(rules: RouteRules): number {
  const overdraft = rules.overdraft ?? 0;
  if (!Number.isSafeInteger(overdraft) || overdraft < 0) throw new RangeError(`an overdraft must be a non-negative integer number of units, got ${String(overdraft)}`);
  return overdraft;
}

/** A window's length names its counter keys verbatim: it must print as the integer it is. */
function keySegment(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new Error(`the redis store needs whole-millisecond windows, not ${String(ms)}`);
  return String(ms);
}

/** Policy and plan names are free text: one holding a separator could not be found again. */
function separable(name: string): string {
  if (/[\t\n]/.test(name)) throw new Error(`the redis store cannot encode a policy or plan name holding a tab or newline: ${JSON.stringify(name)}`);
  return name;
}
