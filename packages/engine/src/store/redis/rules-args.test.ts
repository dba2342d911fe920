import { describe, expect, it } from 'vitest';
import type { PlanRule, RouteRules } from '../store.js';
import { rulesArg } from './rules-args.js';

const pro: PlanRule = {
  kind: 'check',
  windows: [
    { name: 'second', limit: 5, ms: 1000, sliding: true },
    { name: 'hour', limit: 100, ms: 3_600_000, sliding: false },
  ],
  quotas: [{ unit: 'units', limit: 100, per: 'month', anchor: 'subscription' }],
  credits: true,
  overage: 'credits',
  counters: { windows: ['p|1000', 'p|3600000'], quotas: ['p|units'], overage: 'p|overage' },
};
const rules: RouteRules = {
  policy: 'p',
  cost: 3,
  subscription: { statuses: ['active', 'trialing'], graceMs: 86_400_000 },
  plans: { free: { kind: 'deny', reason: 'plan-upgrade-required' }, pro },
  noPlan: { kind: 'deny', reason: 'not-entitled' },
};

describe('rulesArg', () => {
  it('lays RouteRules out as the admit script reads them', () => {
    expect(rulesArg(rules).text.split('\n')).toEqual([
      'p\t3\t86400000\tactive trialing\t\t0\tdeny not-entitled',
      'free\tdeny plan-upgrade-required',
      'pro\tcheck 1 credits 2 1 5 1000 1 100 3600000 0 units 100 month subscription 1',
      '',
    ]);
  });

  it('marks a route without a subscription requirement with an empty grace', () => {
    expect(rulesArg({ policy: 'p', cost: 1, plans: {}, noPlan: { ...pro, windows: [], quotas: [] } }).text).toBe('p\t1\t\t\t\t0\tcheck 1 credits 0 0\n');
  });

  it('carries onUnsettled: commit and the overdraft in the header, for the hold records', () => {
    expect(rulesArg({ ...rules, onUnsettled: 'commit', overdraft: 250 }).text.split('\n')[0]).toBe('p\t3\t86400000\tactive trialing\tcommit\t250\tdeny not-entitled');
  });

  it('refuses an overdraft that is not a non-negative integer: the script computes balances with it', () => {
    expect(() => rulesArg({ ...rules, overdraft: -1 })).toThrow(RangeError);
    expect(() => rulesArg({ ...rules, overdraft: 0.5 })).toThrow(RangeError);
  });

  it('asks for the calendar months and years, and every period in a time zone: once each, numbered in the quotas', () => {
    expect(rulesArg(rules).calendars).toEqual([{ per: 'month', anchor: 'calendar' }]);
    const utc: PlanRule = { ...pro, quotas: [{ unit: 'requests', limit: 10, per: 'day', anchor: 'calendar' }, { unit: 'units', limit: 10, per: 'week', anchor: 'calendar' }, { unit: 'units', limit: 1, per: 'lifetime', anchor: 'calendar' }] };
    expect(rulesArg({ ...rules, plans: { pro: utc } }).calendars).toEqual([]);
    const berlin: PlanRule = { ...pro, quotas: [{ unit: 'requests', limit: 10, per: 'day', anchor: 'calendar', timeZone: 'Europe/Berlin' }, { unit: 'units', limit: 10, per: 'year', anchor: 'calendar' }] };
    const zoned = rulesArg({ ...rules, plans: { pro, berlin, again: berlin } });
    expect(zoned.calendars).toEqual([{ per: 'month', anchor: 'calendar' }, { per: 'day', anchor: 'calendar', timeZone: 'Europe/Berlin' }, { per: 'year', anchor: 'calendar' }]);
    expect(zoned.text.split('\n')[3]).toBe('again\tcheck 1 credits 2 2 5 1000 1 100 3600000 0 requests 10 day calendar 2 units 10 year calendar 3');
  });

  it('ends a refilling rule with its refill, its calendar month numbered like a quota period', () => {
    const refilling: PlanRule = { ...pro, refill: { amount: 50, per: 'month' } };
    const daily: PlanRule = { ...pro, quotas: [], refill: { amount: 7, per: 'day' } };
    const arg = rulesArg({ ...rules, plans: { refilling, daily } });
    expect(arg.text.split('\n').slice(1, 3)).toEqual([
      'refilling\tcheck 1 credits 2 1 5 1000 1 100 3600000 0 units 100 month subscription 1 refill 50 month 1',
      'daily\tcheck 1 credits 2 0 5 1000 1 100 3600000 0 refill 7 day 0',
    ]);
    expect(arg.calendars).toEqual([{ per: 'month', anchor: 'calendar' }]);
  });

  it('encodes each RouteRules once', () => {
    expect(rulesArg(rules)).toBe(rulesArg(rules));
  });

  it('refuses names the script could not find again', () => {
    expect(() => rulesArg({ ...rules, plans: { 'two\tparts': pro } })).toThrow(/tab or newline/);
    expect(() => rulesArg({ ...rules, policy: 'two\nlines' })).toThrow(/tab or newline/);
  });

  it('refuses a window that is not a whole number of milliseconds: it names counter keys', () => {
    expect(() => rulesArg({ ...rules, noPlan: { ...pro, windows: [{ name: 'second', limit: 1, ms: 999.5, sliding: false }] } })).toThrow(/whole-millisecond/);
  });
});
