// Calendar periods in a named (IANA) time zone: the day, ISO week, month or year that holds `now`
// on the wall clock of that zone, each starting at local midnight of its first day. Offsets come
// from the runtime's time-zone database through Intl (Lua in Redis has none: the Redis store sends
// these boundaries with the admit call, admit-batches.ts).
//
// Daylight saving: a period starts at the first instant whose local date is its first day, so a
// Berlin day is 23 hours long on the last Sunday of March and 25 on the last Sunday of October,
// and a week or month holding such a day is an hour shorter or longer. Where a zone skips local
// midnight (a gap at 00:00, e.g. America/Santiago in September), the day starts at the end of the
// gap; where midnight occurs twice (a fold), at the first one.
import { DAY_MS, daysFromCivil, mondayOnOrBefore, type Period } from './billing-period.js';

export type CalendarUnit = 'day' | 'week' | 'month' | 'year';

const formats = new Map<string, Intl.DateTimeFormat>();
/** The last period computed per zone and unit: a period is recomputed only once `now` leaves it (no key is built per call). */
const latest = new Map<string, Partial<Record<CalendarUnit, Period>>>();

/**
 * Builds the zone's formatter now, off the request path: the process's first one loads the
 * runtime's time-zone data (≈ 100 ms), which would otherwise hold up the first admission.
 */
export function prepareTimeZone(timeZone: string): void {
  try {
    formatOf(timeZone).formatToParts(0);
  } catch {
    throw new Error(`unknown time zone ${JSON.stringify(timeZone)} (an IANA name such as Europe/Berlin)`);
  }
}

export function zonedCalendarPeriod(per: CalendarUnit, timeZone: string, now: number): Period {
  let byUnit = latest.get(timeZone);
  const cached = byUnit?.[per];
  if (cached !== undefined && now >= cached.start && now < cached.end) return cached;
  const [year, month, day] = localDate(timeZone, now);
  const today = daysFromCivil(year, month, day);
  let first: number;
  let next: number;
  if (per === 'day' || per === 'week') {
    first = per === 'day' ? today : mondayOnOrBefore(today);
    next = first + (per === 'day' ? 1 : 7);
  } else {
    first = daysFromCivil(year, per === 'year' ? 1 : month, 1);
    next = per === 'year' ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1);
  }
  const period = { start: localDayStart(timeZone, first), end: localDayStart(timeZone, next) };
  if (byUnit === undefined) {
    byUnit = {};
    latest.set(timeZone, byUnit);
  }
  byUnit[per] = period;
  return period;
}

/**
 * The first instant of local day `days` (days since 1970-01-01) in the zone. Local midnight `L`
 * (read as if UTC) is the instant `L - offset`, for the offset in force then: one of the offsets a
 * day before and a day after (a zone changes its offset at most once in two days). Of those
 * candidates, the earliest whose local time is not before `L`: in a fold the first midnight, in a
 * gap the instant the gap ends.
 */
function localDayStart(timeZone: string, days: number): number {
  const midnight = days * DAY_MS;
  let start = Number.POSITIVE_INFINITY;
  for (const offset of [offsetAt(timeZone, midnight - DAY_MS), offsetAt(timeZone, midnight + DAY_MS)]) {
    const candidate = midnight - offset;
    if (candidate < start && candidate + offsetAt(timeZone, candidate) >= midnight) start = candidate;
  }
  return start;
}

/** Local wall-clock time minus UTC at `instant`, in ms. */
function offsetAt(timeZone: string, instant: number): number {
  const second = Math.floor(instant / 1000) * 1000;
  const [year, month, day, hour, minute, secondOfMinute] = localParts(timeZone, second);
  return daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + secondOfMinute) * 1000 - second;
}

function localDate(timeZone: string, instant: number): [year: number, month: number, day: number] {
  const [year, month, day] = localParts(timeZone, instant);
  return [year, month, day];
}

type LocalParts = [year: number, month: number, day: number, hour: number, minute: number, second: number];

function localParts(timeZone: string, instant: number): LocalParts {
  const values = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatOf(timeZone).formatToParts(instant)) {
    if (part.type in values) values[part.type as keyof typeof values] = Number(part.value);
  }
  // Years before 1 CE are written without sign, with an era part; no billing period goes there.
  return [values.year, values.month, values.day, values.hour, values.minute, values.second];
}

function formatOf(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  return format;
}
