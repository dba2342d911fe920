// The shipper's loop: find the outbox streams, read a batch from each, send its events to every
// sink, then acknowledge the entries every sink accepted, dead-letter those a sink refused for good
// and leave the rest pending (sent again after a backoff). Delivery is at least once; billing
// systems dedupe by the event id, so a resent event counts once.
import { usageEvents, type UsageEvent } from '@tollgate/engine';
import type { ShipperMetrics } from './metrics.js';
import type { OutboxEntry, RedisOutbox } from './redis-outbox.js';
import type { Delivery, Sink } from './sink.js';

export interface ShipperOptions {
  readonly outboxes: readonly RedisOutbox[];
  readonly sinks: readonly Sink[];
  readonly metrics: ShipperMetrics;
  /** Entries read per stream per pass. */
  readonly batchSize: number;
  /** Wait between passes that found nothing to ship. */
  readonly pollMs: number;
  /** How often the streams are looked for again (SCAN). */
  readonly discoverMs: number;
  /** Longest wait after failed sends (doubling from pollMs). */
  readonly maxBackoffMs: number;
  /** Where problems are reported (the CLI writes JSON lines to stderr); never a key. */
  readonly log: (entry: { readonly level: 'warn' | 'error'; readonly message: string; readonly [field: string]: unknown }) => void;
}

interface PassResult {
  readonly shipped: number;
  readonly failed: number;
}

export class Shipper {
  readonly #options: ShipperOptions;
  readonly #streams = new Map<RedisOutbox, string[]>();
  #discoveredAt = -Infinity;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(options: ShipperOptions) {
    this.#options = options;
  }

  /** Runs passes until stop(); resolves once the current pass is over. */
  async run(): Promise<void> {
    let backoff = this.#options.pollMs;
    while (!this.#stopped) {
      let result: PassResult;
      try {
        result = await this.pass();
      } catch (error) {
        this.#options.log({ level: 'error', message: 'meter: pass failed', error: error instanceof Error ? error.message : String(error) });
        result = { shipped: 0, failed: 1 };
      }
      if (result.failed > 0) backoff = Math.min(backoff * 2, this.#options.maxBackoffMs);
      else backoff = this.#options.pollMs;
      if (result.shipped === 0 || result.failed > 0) await this.#sleep(backoff);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  /** One pass over every stream of every outbox. */
  async pass(): Promise<PassResult> {
    const { outboxes, discoverMs, metrics } = this.#options;
    if (Date.now() - this.#discoveredAt >= discoverMs) {
      let waiting = 0;
      for (const outbox of outboxes) {
        const streams = await outbox.streams();
        this.#streams.set(outbox, streams);
        waiting += await outbox.waiting(streams);
      }
      metrics.lag.set(waiting);
      this.#discoveredAt = Date.now();
    }
    let shipped = 0;
    let failed = 0;
    for (const outbox of outboxes) {
      for (const stream of this.#streams.get(outbox) ?? []) {
        const entries = await outbox.read(stream, this.#options.batchSize);
        if (entries.length === 0) {
          await outbox.dropIfEmpty(stream);
          continue;
        }
        const result = await this.#ship(outbox, stream, entries);
        shipped += result.shipped;
        failed += result.failed;
      }
    }
    return { shipped, failed };
  }

  async #ship(outbox: RedisOutbox, stream: string, entries: readonly OutboxEntry[]): Promise<PassResult> {
    const eventsOf = entries.map((entry) => usageEvents(entry.account, entry));
    const events = eventsOf.flat();
    // Per event, the worst delivery over every sink: failed (send again) over rejected over accepted.
    const worst = new Map<UsageEvent, Delivery>();
    for (const sink of this.#options.sinks) {
      const deliveries = await sink.send(events);
      events.forEach((event, i) => {
        const delivery = deliveries[i] as Delivery;
        if (delivery.kind === 'accepted') this.#options.metrics.shipped.inc({ sink: sink.name });
        if (delivery.kind === 'failed') this.#options.metrics.failed.inc({ sink: sink.name });
        const before = worst.get(event);
        if (before === undefined || rank(delivery) > rank(before)) worst.set(event, delivery);
      });
    }
    const acknowledged: string[] = [];
    const dead: { entry: OutboxEntry; reason: string }[] = [];
    let failed = 0;
    entries.forEach((entry, i) => {
      const deliveries = (eventsOf[i] as UsageEvent[]).map((event) => worst.get(event) as Delivery);
      const failure = deliveries.find((d) => d.kind === 'failed');
      const refusal = deliveries.find((d) => d.kind === 'rejected');
      if (failure !== undefined) failed++;
      else if (refusal !== undefined) dead.push({ entry, reason: refusal.reason });
      else acknowledged.push(entry.entryId);
    });
    await outbox.acknowledge(stream, acknowledged);
    await outbox.deadLetter(stream, dead);
    this.#options.metrics.deadLettered.inc(dead.length);
    if (failed > 0 || dead.length > 0) {
      const reasons = [...new Set([...worst.values()].flatMap((d) => (d.kind === 'accepted' ? [] : [d.reason])))].slice(0, 3);
      this.#options.log({ level: 'warn', message: 'meter: entries not shipped', stream, failed, deadLettered: dead.length, reasons });
    }
    return { shipped: acknowledged.length, failed };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

const rank = (delivery: Delivery): number => (delivery.kind === 'failed' ? 2 : delivery.kind === 'rejected' ? 1 : 0);
