// Time comes from a Clock so decisions are reproducible: tests and conformance vectors pin it.
import { readFileSync } from 'node:fs';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to (tests, conformance vectors). */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: number) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  set(epochMs: number): void {
    this.#now = epochMs;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** The environment variable naming a file that holds the current epoch ms. TEST ONLY. */
export const TEST_CLOCK_ENV = 'TOLLGATE_TEST_CLOCK_FILE';

/**
 * TEST ONLY: a clock read from a file holding epoch ms, so a test harness can pin the time of a
 * gateway's plugin-server process from outside. Read on every call; an unreadable or malformed
 * file is a test-setup error and throws.
 */
export function fileClock(path: string): Clock {
  return {
    now() {
      const text = readFileSync(path, 'utf8').trim();
      const value = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new Error(`${TEST_CLOCK_ENV}: ${path} does not hold epoch milliseconds`);
      return value;
    },
  };
}

/** The system clock, unless the test-only clock file is set in `env`. */
export function clockFromEnv(env: Readonly<Record<string, string | undefined>>): Clock {
  const file = env[TEST_CLOCK_ENV];
  return file === undefined || file === '' ? systemClock : fileClock(file);
}
