// The memory store's usage outbox: entries appended in process by the same synchronous step that
// charges (so nothing charged is missing from it), taken by whoever ships them in that process.
import { usageEvents, type UsageEvent } from '../usage.js';

export class MemoryUsageOutbox {
  #entries: UsageEvent[] = [];
  #sequence = 0;

  append(account: string, policy: string, overage: number, credits: number, key: string | undefined, now: number): void {
    const entryId = `${now}-${this.#sequence++}`;
    this.#entries.push(...usageEvents(account, { entryId, time: now, policy, overage, credits, key: key ?? '' }));
  }

  /** Every event appended since the last take, oldest first; they leave the outbox. */
  take(): UsageEvent[] {
    const taken = this.#entries;
    this.#entries = [];
    return taken;
  }
}
