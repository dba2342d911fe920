import { describe, expect, it } from 'vitest';
import { billingPeriod, civilFromDays, DAY_MS, daysFromCivil, LIFETIME_END, type PeriodRule } from './billing-period.js';
import type { QuotaRule } from './store.js';

const month = (anchor: 'calendar' | 'subscription'): QuotaRule => ({ unit: 'requests', limit: 1, per: 'month', anchor });
const day = (anchor: 'calendar' | 'subscription'): QuotaRule => ({ unit: 'requests', limit: 1, per: 'day', anchor });
const at = (iso: string) => Date.parse(iso);
const iso = (period: { start: number; end: number }) => [new Date(period.start).toISOString(), new Date(period.end).toISOString()];

describe('civil date arithmetic', () => {
  it('agrees with Date for every day from 1900 to 2200', () => {
    for (let days = daysFromCivil(1900, 1, 1); days <= daysFromCivil(2200, 12, 31); days += 1) {
      const date = new Date(days * DAY_MS);
      expect(civilFromDays(days)).toEqual([date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()]);
    }
  });
});

describe('billingPeriod', () => {
  it('uses UTC calendar days and months by default', () => {
    expect(iso(billingPeriod(day('calendar'), at('2026-03-10T23:59:59.999Z'), undefined))).toEqual(['2026-03-10T00:00:00.000Z', '2026-03-11T00:00:00.000Z']);
    expect(iso(billingPeriod(month('calendar'), at('2026-12-31T12:00:00Z'), undefined))).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    expect(iso(billingPeriod(month('calendar'), at('2028-02-29T00:00:00Z'), undefined))).toEqual(['2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z']);
  });

  it('anchors months at the subscription day and time, clamped to short months', () => {
    const anchor = at('2026-01-31T09:00:00Z');
    expect(iso(billingPeriod(month('subscription'), at('2026-02-15T00:00:00Z'), anchor))).toEqual(['2026-01-31T09:00:00.000Z', '2026-02-28T09:00:00.000Z']);
    expect(iso(billingPeriod(month('subscription'), at('2026-02-28T09:00:00Z'), anchor))).toEqual(['2026-02-28T09:00:00.000Z', '2026-03-31T09:00:00.000Z']);
    expect(iso(billingPeriod(month('subscription'), at('2026-12-31T08:59:59Z'), anchor))).toEqual(['2026-11-30T09:00:00.000Z', '2026-12-31T09:00:00.000Z']);
    expect(iso(billingPeriod(month('subscription'), at('2026-12-31T09:00:00Z'), anchor))).toEqual(['2026-12-31T09:00:00.000Z', '2027-01-31T09:00:00.000Z']);
  });

  it('anchors days at the subscription time of day', () => {
    expect(iso(billingPeriod(day('subscription'), at('2026-03-10T05:00:00Z'), at('2026-01-01T06:30:00Z')))).toEqual(['2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z']);
  });

  it('falls back to the calendar when the account has no anchor', () => {
    expect(billingPeriod(month('subscription'), at('2026-03-10T00:00:00Z'), undefined)).toEqual(billingPeriod(month('calendar'), at('2026-03-10T00:00:00Z'), undefined));
  });

  it('starts ISO weeks on Monday 00:00 UTC and anchored weeks at the subscription', () => {
    const week = (anchor: 'calendar' | 'subscription'): PeriodRule => ({ per: 'week', anchor });
    // 2026-03-01 is a Sunday, 2026-03-02 a Monday
    expect(iso(billingPeriod(week('calendar'), at('2026-03-01T23:59:59.999Z'), undefined))).toEqual(['2026-02-23T00:00:00.000Z', '2026-03-02T00:00:00.000Z']);
    expect(iso(billingPeriod(week('calendar'), at('2026-03-02T00:00:00Z'), undefined))).toEqual(['2026-03-02T00:00:00.000Z', '2026-03-09T00:00:00.000Z']);
    expect(iso(billingPeriod(week('calendar'), at('1969-12-31T12:00:00Z'), undefined))).toEqual(['1969-12-29T00:00:00.000Z', '1970-01-05T00:00:00.000Z']);
    expect(iso(billingPeriod(week('subscription'), at('2026-03-10T05:00:00Z'), at('2026-01-01T06:30:00Z')))).toEqual(['2026-03-05T06:30:00.000Z', '2026-03-12T06:30:00.000Z']);
  });

  it('runs calendar years from January 1st and anchored years from the subscription day, clamped on Feb 29th', () => {
    const year = (anchor: 'calendar' | 'subscription'): PeriodRule => ({ per: 'year', anchor });
    expect(iso(billingPeriod(year('calendar'), at('2026-12-31T23:59:59.999Z'), undefined))).toEqual(['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    const leap = at('2024-02-29T10:00:00Z');
    expect(iso(billingPeriod(year('subscription'), at('2025-02-28T09:59:59Z'), leap))).toEqual(['2024-02-29T10:00:00.000Z', '2025-02-28T10:00:00.000Z']);
    expect(iso(billingPeriod(year('subscription'), at('2026-01-15T00:00:00Z'), leap))).toEqual(['2025-02-28T10:00:00.000Z', '2026-02-28T10:00:00.000Z']);
    expect(iso(billingPeriod(year('subscription'), at('2028-03-01T00:00:00Z'), leap))).toEqual(['2028-02-29T10:00:00.000Z', '2029-02-28T10:00:00.000Z']);
  });

  it('keeps one lifetime period that never ends, whatever the anchor', () => {
    for (const anchor of [undefined, at('2026-01-01T00:00:00Z')]) {
      expect(billingPeriod({ per: 'lifetime', anchor: 'subscription' }, at('2090-05-05T00:00:00Z'), anchor)).toEqual({ start: 0, end: LIFETIME_END });
    }
  });

  it('always contains now, for any anchor', () => {
    for (let i = 0; i < 2000; i++) {
      const anchor = at('2020-01-01T00:00:00Z') + Math.floor(((i * 7919) % 2000) * 1.3 * DAY_MS) + i * 37_000;
      const now = anchor + i * 0.9 * DAY_MS + 1;
      for (const per of ['week', 'month', 'year'] as const) {
        const period = billingPeriod({ per, anchor: 'subscription' }, now, anchor);
        expect(period.start).toBeLessThanOrEqual(now);
        expect(period.end).toBeGreaterThan(now);
      }
    }
  });
});
