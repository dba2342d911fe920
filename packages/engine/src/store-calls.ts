// Every store call the engine makes goes through here: bounded by the policy's timeout (one shared
// deadline queue for all of them), timed and reported to the observer (duration, failure). A
// synchronous store (memory) stays synchronous.
import { NO_OBSERVER, type Observer, type StoreOperation } from './ops/observer.js';
import type { Admission, AdmissionResult, Awaitable, Store } from './store/store.js';
import { SharedTimeout } from './timeout.js';

export class StoreCalls {
  readonly #timeout: SharedTimeout;

  constructor(
    readonly store: Store,
    timeoutMs: number,
    private readonly observer: Observer,
  ) {
    this.#timeout = new SharedTimeout(timeoutMs);
  }

  /** run('admit', …) without a closure per call: this runs on every decision. */
  admit(admission: Admission): Awaitable<AdmissionResult> {
    if (this.observer !== NO_OBSERVER) return this.run('admit', (s) => s.admit(admission));
    return this.#bounded(this.store.admit(admission));
  }

  /** The call's result, or it throws/rejects (timeout included) after reporting the failure. */
  run<T>(operation: StoreOperation, call: (store: Store) => Awaitable<T>): Awaitable<T> {
    // Without an observer nothing is timed: the memory store's hot path stays a plain call.
    if (this.observer === NO_OBSERVER) return this.#bounded(call(this.store));
    const started = performance.now();
    const report = (failed: boolean) => {
      this.observer.storeCall(this.store.kind, operation, (performance.now() - started) / 1000, failed);
    };
    let result: Awaitable<T>;
    try {
      result = call(this.store);
    } catch (error) {
      report(true);
      throw error;
    }
    if (!(result instanceof Promise)) {
      report(false);
      return result;
    }
    return this.#timeout.within(result).then(
      (value) => {
        report(false);
        return value;
      },
      (error: unknown) => {
        report(true);
        throw error;
      },
    );
  }

  /** A synchronous result as it is; a promise bounded by the policy's timeout. */
  #bounded<T>(result: Awaitable<T>): Awaitable<T> {
    return result instanceof Promise ? this.#timeout.within(result) : result;
  }
}
