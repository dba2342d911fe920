// The shipper's Prometheus metrics, in a registry of their own (served with /healthz by the
// engine's metrics endpoint).
import { Counter, Gauge, Registry } from 'prom-client';

export interface ShipperMetrics {
  readonly registry: Registry;
  /** Events a billing system accepted, by sink. */
  readonly shipped: Counter<'sink'>;
  /** Events a billing system did not take this time (sent again later), by sink. */
  readonly failed: Counter<'sink'>;
  /** Outbox entries moved to the dead-letter stream (a billing system refused one of their events). */
  readonly deadLettered: Counter;
  /** Entries in the outbox not shipped yet, at the last count. */
  readonly lag: Gauge;
}

/**
 * `sinks`: the names the counters are labelled with, each series exported from the start at 0, so
 * a shipper that has shipped nothing yet (another in its group took every entry) is told apart from
 * one that is not there, and `rate()` sees the first event.
 */
export function shipperMetrics(sinks: readonly string[]): ShipperMetrics {
  const registry = new Registry();
  const shipped = new Counter({ name: 'tollgate_meter_shipped_total', help: 'Usage events a billing system accepted', labelNames: ['sink'], registers: [registry] });
  const failed = new Counter({ name: 'tollgate_meter_failed_total', help: 'Usage event sends that failed and will be retried', labelNames: ['sink'], registers: [registry] });
  for (const sink of sinks) {
    shipped.inc({ sink }, 0);
    failed.inc({ sink }, 0);
  }
  return {
    registry,
    shipped,
    failed,
    deadLettered: new Counter({ name: 'tollgate_meter_dead_lettered_total', help: 'Outbox entries moved to the dead-letter stream', registers: [registry] }),
    lag: new Gauge({ name: 'tollgate_meter_lag_entries', help: 'Outbox entries not shipped yet', registers: [registry] }),
  };
}
