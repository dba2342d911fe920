// Rate-window arithmetic, apart from storage: pure functions over (counts, now) so the memory
// store and the Redis Lua script compute the same numbers. Written with operations Lua has
// (floor, ceil, +, -, *, /) in the same order, so doubles round the same way in both.
import type { WindowRule } from './store.js';

/** A window counter as stored: the count of the window starting at `start`, and of the one before. */
export interface WindowCounter {
  start: number;
  current: number;
  previous: number;
}

export interface WindowCheck {
  readonly allowed: boolean;
  /** Requests counted in the window before this one (sliding windows weigh it). */
  readonly usage: number;
  /** Ms until the window admits one more request (0 when it does now). */
  readonly retryMs: number;
  /** Ms until the current fixed window ends. */
  readonly endMs: number;
}

export function windowStart(now: number, ms: number): number {
  return now - (now % ms);
}

/** Moves a stored counter to the window holding `now`: the old current window becomes previous. */
export function rollWindow(counter: WindowCounter, now: number, ms: number): void {
  const start = windowStart(now, ms);
  if (counter.start === start) return;
  counter.previous = counter.start === start - ms ? counter.current : 0;
  counter.current = 0;
  counter.start = start;
}

/** Checks one more request against a counter already rolled to `now`. */
export function checkWindow(rule: WindowRule, counter: WindowCounter, now: number): WindowCheck {
  const elapsed = now - counter.start;
  const endMs = rule.ms - elapsed;
  if (!rule.sliding) {
    const allowed = counter.current + 1 <= rule.limit;
    return { allowed, usage: counter.current, retryMs: allowed ? 0 : endMs, endMs };
  }
  // Sliding-window counter (Cloudflare's approximation): the previous window weighs by the part of
  // it still inside the sliding window.
  const usage = (counter.previous * (rule.ms - elapsed)) / rule.ms + counter.current;
  const allowed = usage + 1 <= rule.limit;
  return { allowed, usage, retryMs: allowed ? 0 : slidingRetryMs(rule, counter, elapsed), endMs };
}

function slidingRetryMs(rule: WindowRule, counter: WindowCounter, elapsed: number): number {
  const room = rule.limit - 1 - counter.current;
  if (room >= 0) {
    // This window's own count leaves room (so refused because of the previous window, previous > 0):
    // wait until the previous window's weight has dropped enough, at the latest this window's end.
    return Math.max(Math.ceil(rule.ms - elapsed - (room * rule.ms) / counter.previous), 1);
  }
  // This window alone is full (current ≥ limit ≥ 1): in the next one its count becomes the weighted previous one.
  const later = Math.ceil(rule.ms - ((rule.limit - 1) * rule.ms) / counter.current);
  return rule.ms - elapsed + Math.max(later, 0);
}

/** Requests left after this decision, ≥ 0 (the count of an allowed decision already includes it). */
export function remainingAfter(rule: WindowRule, usage: number, admitted: boolean): number {
  return Math.max(0, Math.floor(rule.limit - usage - (admitted ? 1 : 0)));
}
