// Work the engine owes the store after it answered: the void of every admission and payment claim
// it abandoned and answered with a refusal (onFailure: closed; the script may still run, or may
// have run with its reply lost), and every `chargeOn: success` completion whose first attempt
// failed. Each is idempotent in the store (a void by the admission's id or the claim's owner, a
// completion by the hold key), so it is sent again with backoff until it lands or its time is up:
// a void's is the receipt's RECEIPT_TTL_MS, a completion's the hold's HOLD_TTL_MS (then the store
// settles the hold as `costs.onUnsettled` says). One queue for all of them, webhook deliveries
// (notify/) included; `drained` tells when none is pending.
import { performance } from 'node:perf_hooks';
import type { Clock } from './clock.js';
import type { CompensationWork, Observer } from './ops/observer.js';
import type { StoreCalls } from './store-calls.js';
import { HOLD_TTL_MS, RECEIPT_TTL_MS, type Awaitable, type HoldCompletion, type HoldSettlement } from './store/store.js';
import { messageOf } from './timeout.js';

const FIRST_RETRY_MS = 25;
const MAX_RETRY_MS = 1000;
/**
 * At most this many pending at once: during a long outage each refused decision adds a void, and
 * the queue must not grow without bound. Past it a void is given up at once (logged, counted): its
 * admission, should it run late, is still refused by its deadline.
 */
const MAX_PENDING = 20_000;

export class Compensations {
  #pending = 0;
  #idle: (() => void)[] = [];

  constructor(
    private readonly policy: string,
    private readonly store: StoreCalls,
    private readonly clock: Clock,
    private readonly observer: Observer,
    private readonly onUnsettled: HoldCompletion,
  ) {}

  /** Undoes an admission answered with a refusal whose store call may have run (or may still run). */
  voidAdmission(account: string, id: string): void {
    this.#compensate('void-admission', () => this.store.run('void-admission', (s) => s.voidAdmission(account, id, this.clock.now())), RECEIPT_TTL_MS);
  }

  /** Forgets an abandoned payment claim (only its own), so the payer may present the payment again. */
  voidClaim(key: string, owner: string): void {
    this.#compensate('void-claim', () => this.store.run('forget-payment', (s) => s.forgetPayment(key, owner)), RECEIPT_TTL_MS);
  }

  /**
   * Sends a hold's completion again after its first attempt failed, until it lands or the hold
   * expired. A settlement is sent again with the same amount: the store settles a hold once, so a
   * retry of one that did land (its reply lost) answers nothing-held and charges nothing twice.
   */
  retryCompletion(account: string, holdKey: string, completion: HoldCompletion | HoldSettlement): void {
    this.#compensate('complete-hold', () => this.store.run('complete-hold', (s) => s.completeHold(account, holdKey, completion, this.clock.now())), HOLD_TTL_MS, true);
  }

  /**
   * Other work owed after the answer (a webhook delivery), in the same queue: the same bound, the
   * same `drained`, tried until it lands or `limitMs` passed, with backoff from `backoff`.
   */
  deliver(attempt: () => Awaitable<unknown>, limitMs: number, backoff: Backoff, done: (outcome: Outcome, attempts: number, error?: string) => void): void {
    this.#retry(attempt, limitMs, false, backoff, done);
  }

  /** Resolves once nothing is pending (each compensation landed or was given up). */
  drained(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #compensate(work: CompensationWork, attempt: () => Awaitable<unknown>, limitMs: number, alreadyTried = false): void {
    this.#retry(attempt, limitMs, alreadyTried, STORE_BACKOFF, (outcome, attempts, error) => {
      this.#report(work, outcome, attempts, error);
    });
  }

  #retry(attempt: () => Awaitable<unknown>, limitMs: number, alreadyTried: boolean, backoff: Backoff, done: (outcome: Outcome, attempts: number, error?: string) => void): void {
    if (this.#pending >= MAX_PENDING) {
      done('given-up', 0, `more than ${String(MAX_PENDING)} compensations pending`);
      return;
    }
    this.#pending++;
    void retryUntil(attempt, performance.now() + limitMs, alreadyTried, backoff)
      .then(({ outcome, attempts, error }) => {
        done(outcome, attempts, error);
      })
      .finally(() => {
        if (--this.#pending > 0) return;
        const idle = this.#idle;
        this.#idle = [];
        for (const resolve of idle) resolve();
      });
  }

  #report(work: CompensationWork, outcome: Outcome, attempts: number, error?: string): void {
    // A completion given up leaves the hold to expire: the store settles it as onUnsettled says.
    const unsettled = work === 'complete-hold' && outcome === 'given-up' ? { unsettled: this.onUnsettled } : {};
    this.observer.compensated({ policy: this.policy, work, outcome, attempts, ...unsettled, ...(error === undefined ? {} : { error }) });
  }
}

type Outcome = 'landed' | 'given-up';

/** Delays between attempts: the first, doubled after each failure up to the most. */
export interface Backoff {
  readonly firstMs: number;
  readonly maxMs: number;
}

const STORE_BACKOFF: Backoff = { firstMs: FIRST_RETRY_MS, maxMs: MAX_RETRY_MS };

async function retryUntil(attempt: () => Awaitable<unknown>, giveUpAt: number, alreadyTried: boolean, backoff: Backoff): Promise<{ outcome: Outcome; attempts: number; error?: string }> {
  let delay = backoff.firstMs;
  for (let attempts = alreadyTried ? 1 : 0; ; attempts++) {
    if (attempts > 0) {
      await sleep(delay);
      delay = Math.min(2 * delay, backoff.maxMs);
    }
    try {
      await attempt();
      return { outcome: 'landed', attempts: attempts + 1 };
    } catch (error) {
      if (performance.now() + delay >= giveUpAt) return { outcome: 'given-up', attempts: attempts + 1, error: messageOf(error) };
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
