// The memory store's usage outbox: entries appended in process by the same synchronous step that
// charges (so nothing charged is missing from it), taken by whoever ships them in that process.
// Kept only when its store was made to keep it: nothing ships a gateway's memory store (`tollgate
// meter ship` reads Redis), and a list nobody takes would grow with every charged request.
import { usageEvents, type UsageEvent } from '../usage.js';

export class MemoryUsageOutbox {
  #entries: UsageEvent[] = [];
  #sequence = 0;

  constructor(private readonly kept: boolean) {}

  append(account: string, policy: string, overage: number, credits: number, key: string | undefined, now: number): void {
    if (!this.kept) return;
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
