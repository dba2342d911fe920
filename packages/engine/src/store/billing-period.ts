// Billing periods: calendar (UTC, or a named time zone: zoned-period.ts) or anchored at the
// subscription start (day and week: whole days and weeks after it; month and year: the same day of
// month, clamped to the month's length, at the same time of day), or the account's lifetime (never
// resets). Integer date arithmetic (Howard Hinnant's days_from_civil / civil_from_days) instead of
// Date so the Lua script can port it line by line.
import type { QuotaRule } from './store.js';
import { zonedCalendarPeriod } from './zoned-period.js';

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** Where a lifetime quota's only period ends: the last instant a Date can hold, i.e. never. */
export const LIFETIME_END = 8_640_000_000_000_000;
const LIFETIME: Period = { start: 0, end: LIFETIME_END };

export interface Period {
  readonly start: number;
  readonly end: number;
}

/** What decides a period: a quota rule, or a credit refill. */
export interface PeriodRule {
  readonly per: QuotaRule['per'];
  readonly anchor?: QuotaRule['anchor'];
  readonly timeZone?: string;
}

export function billingPeriod(rule: PeriodRule, now: number, anchor: number | undefined): Period {
  if (rule.per === 'lifetime') return LIFETIME;
  const from = rule.anchor === 'subscription' && anchor !== undefined ? anchor : undefined;
  if (from === undefined && rule.timeZone !== undefined) return zonedCalendarPeriod(rule.per, rule.timeZone, now);
  switch (rule.per) {
    case 'day':
    case 'week': {
      const length = rule.per === 'day' ? DAY_MS : WEEK_MS;
      const start = from === undefined ? utcDayOrWeekStart(rule.per, now) : from + Math.floor((now - from) / length) * length;
      return { start, end: start + length };
    }
    case 'month':
      return from === undefined ? calendarMonths(now, 1) : anchoredMonths(now, from, 1);
    case 'year':
      return from === undefined ? calendarMonths(now, 12) : anchoredMonths(now, from, 12);
  }
}

/** The UTC day, or the ISO week (Monday 00:00 UTC) holding now. 1970-01-01 was a Thursday: day 0 is 3 days after a Monday. */
function utcDayOrWeekStart(per: 'day' | 'week', now: number): number {
  const days = Math.floor(now / DAY_MS);
  return (per === 'day' ? days : mondayOnOrBefore(days)) * DAY_MS;
}

/** The day number of the Monday on or before day `days` (days since 1970-01-01). */
export function mondayOnOrBefore(days: number): number {
  return days - ((((days + 3) % 7) + 7) % 7);
}

/** The calendar month (step 1) or year (step 12) holding now. */
function calendarMonths(now: number, step: 1 | 12): Period {
  const [year, month] = civilFromDays(Math.floor(now / DAY_MS));
  const first = step === 12 ? 1 : month;
  return { start: monthStart(year, first, 1, 0), end: monthStart(year, first + step, 1, 0) };
}

/** The anchored month (step 1) or year (step 12) holding now. */
function anchoredMonths(now: number, anchor: number, step: 1 | 12): Period {
  const anchorDays = Math.floor(anchor / DAY_MS);
  const timeOfDay = anchor - anchorDays * DAY_MS;
  const [ay, am, ad] = civilFromDays(anchorDays);
  const [ny, nm] = civilFromDays(Math.floor(now / DAY_MS));
  let k = Math.floor(((ny - ay) * 12 + (nm - am)) / step) * step;
  if (monthStart(ay, am + k, ad, timeOfDay) > now) k -= step;
  return { start: monthStart(ay, am + k, ad, timeOfDay), end: monthStart(ay, am + k + step, ad, timeOfDay) };
}

/** Epoch ms of day `day` (clamped to the month's length) of month `month` (1-based, may overflow) of `year`. */
export function monthStart(year: number, month: number, day: number, timeOfDay: number): number {
  const y = year + Math.floor((month - 1) / 12);
  const m = ((((month - 1) % 12) + 12) % 12) + 1;
  const d = Math.min(day, daysInMonth(y, m));
  return daysFromCivil(y, m, d) * DAY_MS + timeOfDay;
}

function daysInMonth(year: number, month: number): number {
  return daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - daysFromCivil(year, month, 1);
}

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

export function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}
