import { describe, expect, it } from 'vitest';
import { billingPeriod, type PeriodRule } from './billing-period.js';

const at = (iso: string) => Date.parse(iso);
const iso = (period: { start: number; end: number }) => [new Date(period.start).toISOString(), new Date(period.end).toISOString()];
const zoned = (per: PeriodRule['per'], timeZone: string): PeriodRule => ({ per, anchor: 'calendar', timeZone });
const HOUR_MS = 3_600_000;

describe('calendar periods in a time zone', () => {
  it('start at local midnight: a Berlin day is 23 hours long when clocks go forward, 25 when they go back', () => {
    const spring = billingPeriod(zoned('day', 'Europe/Berlin'), at('2026-03-29T12:00:00Z'), undefined);
    expect(iso(spring)).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect(spring.end - spring.start).toBe(23 * HOUR_MS);
    const autumn = billingPeriod(zoned('day', 'Europe/Berlin'), at('2026-10-25T12:00:00Z'), undefined);
    expect(iso(autumn)).toEqual(['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
    expect(autumn.end - autumn.start).toBe(25 * HOUR_MS);
  });

  it('switch period exactly at local midnight, on either side of the transition', () => {
    const day = zoned('day', 'Europe/Berlin');
    // 2026-03-29 00:00 CET is 2026-03-28T23:00Z; 2026-03-30 00:00 CEST is 2026-03-29T22:00Z
    expect(iso(billingPeriod(day, at('2026-03-28T22:59:59.999Z'), undefined))[0]).toBe('2026-03-27T23:00:00.000Z');
    expect(iso(billingPeriod(day, at('2026-03-28T23:00:00Z'), undefined))[0]).toBe('2026-03-28T23:00:00.000Z');
    // the hour that does not exist locally (02:00–03:00) belongs to the same day
    expect(iso(billingPeriod(day, at('2026-03-29T01:00:00Z'), undefined))[0]).toBe('2026-03-28T23:00:00.000Z');
    expect(iso(billingPeriod(day, at('2026-03-29T22:00:00Z'), undefined))[0]).toBe('2026-03-29T22:00:00.000Z');
    // the repeated hour (02:00–03:00 twice) too
    expect(iso(billingPeriod(day, at('2026-10-25T00:30:00Z'), undefined))[0]).toBe('2026-10-24T22:00:00.000Z');
    expect(iso(billingPeriod(day, at('2026-10-25T01:30:00Z'), undefined))[0]).toBe('2026-10-24T22:00:00.000Z');
  });

  it('weeks run Monday to Monday local time, months and years from local midnight of the 1st', () => {
    expect(iso(billingPeriod(zoned('week', 'Europe/Berlin'), at('2026-03-29T21:59:59Z'), undefined))).toEqual(['2026-03-22T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect(iso(billingPeriod(zoned('month', 'Europe/Berlin'), at('2026-03-15T00:00:00Z'), undefined))).toEqual(['2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z']);
    expect(iso(billingPeriod(zoned('year', 'America/New_York'), at('2027-01-01T04:59:59Z'), undefined))).toEqual(['2026-01-01T05:00:00.000Z', '2027-01-01T05:00:00.000Z']);
    expect(iso(billingPeriod(zoned('month', 'Asia/Kolkata'), at('2026-01-31T18:30:00Z'), undefined))).toEqual(['2026-01-31T18:30:00.000Z', '2026-02-28T18:30:00.000Z']);
  });

  it('start a day whose midnight the zone skips when the gap ends, and a day whose midnight repeats at the first', () => {
    // America/Santiago: 2026-09-06 00:00 -04 jumps to 01:00 -03, so that day starts at 04:00Z
    expect(iso(billingPeriod(zoned('day', 'America/Santiago'), at('2026-09-06T12:00:00Z'), undefined))[0]).toBe('2026-09-06T04:00:00.000Z');
    // America/Havana: 2026-11-01 01:00 -04 goes back to 00:00 -05, so midnight comes twice (04:00Z, 05:00Z)
    expect(iso(billingPeriod(zoned('day', 'America/Havana'), at('2026-11-01T12:00:00Z'), undefined))).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
    expect(iso(billingPeriod(zoned('day', 'America/Havana'), at('2026-11-01T04:00:00Z'), undefined))[0]).toBe('2026-11-01T04:00:00.000Z');
  });

  it('always contain now and chain without gaps, across a year of Berlin and Sydney days', () => {
    for (const timeZone of ['Europe/Berlin', 'Australia/Sydney']) {
      let now = at('2026-01-01T00:00:00Z');
      let previousEnd: number | undefined;
      while (now < at('2027-01-01T00:00:00Z')) {
        const period = billingPeriod(zoned('day', timeZone), now, undefined);
        expect(period.start).toBeLessThanOrEqual(now);
        expect(period.end).toBeGreaterThan(now);
        if (previousEnd !== undefined) expect(period.start).toBe(previousEnd);
        previousEnd = period.end;
        now = period.end;
      }
    }
  });
});
