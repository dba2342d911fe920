import { describe, expect, it } from 'vitest';
import type { WindowRule } from './store.js';
import { admitsAt, checkWindow, remainingAfter, rollWindow, windowState, type WindowCounter } from './windows.js';

const minute = (limit: number, sliding: boolean): WindowRule => ({ name: 'minute', limit, ms: 60_000, sliding });

/** Counts n admissions at `now` into a counter rolled to it. */
function admitN(rule: WindowRule, counter: WindowCounter, now: number, n: number): void {
  rollWindow(counter, now, rule.ms);
  for (let i = 0; i < n; i++) {
    expect(checkWindow(rule, counter, now).allowed).toBe(true);
    counter.current += 1;
  }
}

describe('fixed windows', () => {
  it('admit up to the limit within the calendar-aligned window and report its end', () => {
    const rule = minute(2, false);
    const counter: WindowCounter = { start: 0, current: 0, previous: 0 };
    admitN(rule, counter, 120_500, 2);
    expect(checkWindow(rule, counter, 150_000)).toEqual({ allowed: false, usage: 2, retryMs: 30_000, endMs: 30_000 });
    rollWindow(counter, 180_000, rule.ms);
    expect(checkWindow(rule, counter, 180_000).allowed).toBe(true);
  });
});

describe('sliding windows', () => {
  it('forget a previous window that is more than one window back', () => {
    const rule = minute(1, true);
    const counter: WindowCounter = { start: 0, current: 0, previous: 0 };
    admitN(rule, counter, 0, 1);
    rollWindow(counter, 120_000, rule.ms);
    expect(counter).toEqual({ start: 120_000, current: 0, previous: 0 });
  });

  it('give a Retry-After after which the request is admitted, and not a millisecond earlier', () => {
    for (const limit of [1, 2, 3, 7, 50]) {
      for (const [before, inPrevious, offset] of [
        [limit, 0, 30_000],
        [limit, limit, 1],
        [Math.ceil(limit / 2), limit, 45_000],
        [0, limit, 10_000],
      ] as const) {
        const rule = minute(limit, true);
        const counter: WindowCounter = { start: 0, current: inPrevious, previous: 0 };
        rollWindow(counter, 60_000, rule.ms);
        counter.current = before;
        const now = 60_000 + offset;
        const check = checkWindow(rule, counter, now);
        if (check.allowed) continue;
        const at = (t: number) => {
          const c = { ...counter };
          rollWindow(c, t, rule.ms);
          return checkWindow(rule, c, t).allowed;
        };
        expect(at(now + check.retryMs), `limit ${limit}, ${before}+${inPrevious} at +${offset}`).toBe(true);
        expect(at(now + check.retryMs - 1), `limit ${limit}, ${before}+${inPrevious} at +${offset}`).toBe(false);
      }
    }
  });
});

describe('window states', () => {
  it('report what checkWindow finds: remaining after the decision, and the window end or the retry time', () => {
    for (const sliding of [false, true]) {
      for (const [limit, current, previous, now] of [
        [5, 0, 0, 60_000],
        [5, 4, 0, 61_000],
        [5, 5, 0, 119_999],
        [5, 2, 5, 70_000],
        [3, 1, 3, 90_000],
      ] as const) {
        const rule = minute(limit, sliding);
        const counter: WindowCounter = { start: 60_000, current, previous };
        const check = checkWindow(rule, counter, now);
        const where = `${sliding ? 'sliding' : 'fixed'} ${limit}: ${current}+${previous} at ${now}`;
        expect(admitsAt(rule, counter, now), where).toBe(check.allowed);
        for (const admitted of check.allowed ? [true, false] : [false]) {
          const resetMs = check.allowed ? check.endMs : check.retryMs;
          expect(windowState(rule, counter, now, admitted), where).toEqual({ name: 'minute', limit, remaining: remainingAfter(rule, check.usage, admitted), resetMs });
        }
      }
    }
  });
});
