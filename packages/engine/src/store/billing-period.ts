// Billing periods: calendar (UTC day / month) or anchored at the subscription start (same day of
// month, clamped to the month's length; same time of day). Integer date arithmetic (Howard
// Hinnant's days_from_civil / civil_from_days) instead of Date so the Lua script can port it line
// by line.
import type { QuotaRule } from './store.js';

export const DAY_MS = 86_400_000;

export interface Period {
  readonly start: number;
  readonly end: number;
}

export function billingPeriod(rule: QuotaRule, now: number, anchor: number | undefined): Period {
  const from = rule.anchor === 'subscription' && anchor !== undefined ? anchor : undefined;
  if (rule.per === 'day') {
    const start = from === undefined ? now - (now % DAY_MS) : from + Math.floor((now - from) / DAY_MS) * DAY_MS;
    return { start, end: start + DAY_MS };
  }
  return from === undefined ? calendarMonth(now) : anchoredMonth(now, from);
}

function calendarMonth(now: number): Period {
  const [year, month] = civilFromDays(Math.floor(now / DAY_MS));
  return { start: monthStart(year, month, 1, 0), end: monthStart(year, month + 1, 1, 0) };
}

function anchoredMonth(now: number, anchor: number): Period {
  const anchorDays = Math.floor(anchor / DAY_MS);
  const timeOfDay = anchor - anchorDays * DAY_MS;
  const [ay, am, ad] = civilFromDays(anchorDays);
  const [ny, nm] = civilFromDays(Math.floor(now / DAY_MS));
  let k = (ny - ay) * 12 + (nm - am);
  if (monthStart(ay, am + k, ad, timeOfDay) > now) k -= 1;
  return { start: monthStart(ay, am + k, ad, timeOfDay), end: monthStart(ay, am + k + 1, ad, timeOfDay) };
}

/** Epoch ms of day `day` (clamped to the month's length) of month `month` (1-based, may overflow) of `year`. */
function monthStart(year: number, month: number, day: number, timeOfDay: number): number {
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
