// A deadline on a store call: the engine never waits longer than the policy's `timeoutMs`.
import { performance } from 'node:perf_hooks';

export class StoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`store did not answer within ${ms} ms`);
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new StoreTimeoutError(ms));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(asError(error));
      },
    );
  });
}

interface Waiting {
  readonly dueAt: number;
  settled: boolean;
  readonly fail: (error: Error) => void;
}

/**
 * `withTimeout` for many calls sharing one duration (a store's calls): deadlines fall due in the
 * order the calls started, so they wait in one FIFO under one timer, armed for the oldest call
 * still waiting, instead of a timer set and cleared per call. Each call still fails with
 * StoreTimeoutError once `ms` have passed (give or take the timer's millisecond), and no timer is
 * left armed while no call waits.
 */
export class SharedTimeout {
  readonly #waiting: Waiting[] = [];
  /** Index of the oldest entry of #waiting still in the queue (settled ones before it are dropped in batches). */
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly ms: number) {}

  within<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiting: Waiting = { dueAt: performance.now() + this.ms, settled: false, fail: reject };
      this.#waiting.push(waiting);
      this.#timer ??= setTimeout(this.#expire, this.ms);
      promise.then(
        (value) => {
          this.#settle(waiting);
          resolve(value);
        },
        (error: unknown) => {
          this.#settle(waiting);
          reject(asError(error));
        },
      );
    });
  }

  #settle(waiting: Waiting): void {
    waiting.settled = true;
    this.#dropSettled();
  }

  /** Fails every call whose time is up, then waits for the oldest one left. */
  readonly #expire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (let i = this.#head; i < this.#waiting.length; i++) {
      const waiting = this.#waiting[i] as Waiting;
      if (waiting.dueAt > now) break;
      if (!waiting.settled) {
        waiting.settled = true;
        waiting.fail(new StoreTimeoutError(this.ms));
      }
    }
    this.#dropSettled();
    const oldest = this.#waiting[this.#head];
    if (oldest !== undefined) this.#timer = setTimeout(this.#expire, Math.max(1, Math.ceil(oldest.dueAt - now)));
  };

  /** Calls mostly settle in order: the head moves past settled ones, and an empty queue needs no timer. */
  #dropSettled(): void {
    while (this.#head < this.#waiting.length && (this.#waiting[this.#head] as Waiting).settled) this.#head++;
    if (this.#head === this.#waiting.length) {
      this.#waiting.length = 0;
      this.#head = 0;
      clearTimeout(this.#timer);
      this.#timer = undefined;
    } else if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
