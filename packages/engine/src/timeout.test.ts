import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { SharedTimeout, StoreTimeoutError } from './timeout.js';

const MS = 40;
/** Allowance for timers firing late on a loaded, shared machine. */
const LATE_MS = 250;

const never = (): Promise<never> => new Promise<never>(() => undefined);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

/** When `promise` rejected, in ms after `started`, and with what. */
async function failure(promise: Promise<unknown>, started: number): Promise<{ readonly afterMs: number; readonly error: unknown }> {
  try {
    await promise;
  } catch (error) {
    return { afterMs: performance.now() - started, error };
  }
  throw new Error('expected a rejection');
}

describe('SharedTimeout', () => {
  it('passes a call’s value and error through', async () => {
    const timeout = new SharedTimeout(MS);
    await expect(timeout.within(Promise.resolve(7))).resolves.toBe(7);
    await expect(timeout.within(Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(timeout.within(Promise.reject(new Error('down')))).rejects.toThrow('down');
  });

  it('fails each call that does not answer once its own time is up, never before', async () => {
    const timeout = new SharedTimeout(MS);
    const first = failure(timeout.within(never()), performance.now());
    await sleep(MS / 2);
    const second = failure(timeout.within(never()), performance.now());
    for (const { afterMs, error } of await Promise.all([first, second])) {
      expect(error).toBeInstanceOf(StoreTimeoutError);
      expect(afterMs).toBeGreaterThanOrEqual(MS - 1);
      expect(afterMs).toBeLessThan(MS + LATE_MS);
    }
  });

  it('answers the calls that do answer while an older one waits, and fails only that one', async () => {
    const timeout = new SharedTimeout(MS);
    const hung = failure(timeout.within(never()), performance.now());
    const answered = await Promise.all([1, 2, 3].map((n) => timeout.within(sleep(n).then(() => n))));
    expect(answered).toEqual([1, 2, 3]);
    expect((await hung).error).toBeInstanceOf(StoreTimeoutError);
  });

  it('keeps one timer while calls wait, and none once they answered', async () => {
    const idle = timers();
    const timeout = new SharedTimeout(10_000);
    const answers: (() => void)[] = [];
    const calls = [1, 2, 3].map(() => timeout.within(new Promise<void>((resolve) => answers.push(resolve))));
    expect(timers()).toBe(idle + 1);
    for (const answer of answers) answer();
    await Promise.all(calls);
    expect(timers()).toBe(idle);
  });
});
