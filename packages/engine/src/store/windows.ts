// Rate-window arithmetic, apart from storage: pure functions over (counts, now) so the memory
// store and the Redis Lua script compute the same numbers. Written with operations Lua has
// (floor, ceil, +, -, *, /) in the same order, so doubles round the same way in both.
import type { WindowRule, WindowState } from './store.js';

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
  // A range check first: `start` is always a window start, so `now` in [start, start + ms) means
  // the counter is current, and this (the usual case) needs no floating-point modulo.
  if (now >= counter.start && now - counter.start < ms) return;
  const start = windowStart(now, ms);
  counter.previous = counter.start === start - ms ? counter.current : 0;
  counter.current = 0;
  counter.start = start;
}

/** Checks one more request against a counter already rolled to `now`. */
export function checkWindow(rule: WindowRule, counter: WindowCounter, now: number): WindowCheck {
  const elapsed = now - counter.start;
  const usage = usageAt(rule, counter, elapsed);
  const allowed = admitsOneMore(rule, usage);
  return { allowed, usage, retryMs: allowed ? 0 : retryMsAt(rule, counter, elapsed), endMs: rule.ms - elapsed };
}

/**
 * What a decision reports of one window, from a counter rolled to `now` and not yet counting the
 * request: checkWindow's numbers without its intermediate object (this runs per window per decision).
 */
export function windowState(rule: WindowRule, counter: WindowCounter, now: number, admitted: boolean): WindowState {
  const elapsed = now - counter.start;
  const usage = usageAt(rule, counter, elapsed);
  const resetMs = admitsOneMore(rule, usage) ? rule.ms - elapsed : retryMsAt(rule, counter, elapsed);
  return { name: rule.name, limit: rule.limit, remaining: remainingAfter(rule, usage, admitted), resetMs };
}

/** Whether the window admits one more request, from a counter rolled to `now`. */
export function admitsAt(rule: WindowRule, counter: WindowCounter, now: number): boolean {
  return admitsOneMore(rule, usageAt(rule, counter, now - counter.start));
}

/**
 * Requests the window counts `elapsed` ms into it. A sliding window (Cloudflare's sliding-window
 * counter approximation) weighs the previous window by the part of it still inside the sliding window.
 */
function usageAt(rule: WindowRule, counter: WindowCounter, elapsed: number): number {
  return rule.sliding ? (counter.previous * (rule.ms - elapsed)) / rule.ms + counter.current : counter.current;
}

function admitsOneMore(rule: WindowRule, usage: number): boolean {
  return usage + 1 <= rule.limit;
}

/** Ms until a window that refuses now admits one more request. */
function retryMsAt(rule: WindowRule, counter: WindowCounter, elapsed: number): number {
  return rule.sliding ? slidingRetryMs(rule, counter, elapsed) : rule.ms - elapsed;
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
