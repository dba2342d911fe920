// Prometheus metrics (prom-client) in a registry of their own: decisions by policy, reason and
// status with their latency, store call durations and failures, payment events, and the process
// metrics prom-client collects by default.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionLog } from '../types.js';
import { NO_OBSERVER, type Observer } from './observer.js';

export interface MetricsSink extends Observer {
  readonly registry: Registry;
}

/** Store calls are ~0.1–5 ms; the policy timeout (default 50 ms) caps what a decision waits. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const DECISION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 3];

export function createMetrics(): MetricsSink {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tollgate_' });
  const decisions = new Counter({
    name: 'tollgate_decisions_total',
    help: 'Decisions by policy, outcome, reason code and HTTP status.',
    labelNames: ['policy', 'decision', 'reason', 'status'] as const,
    registers: [registry],
  });
  const decisionSeconds = new Histogram({
    name: 'tollgate_decision_duration_seconds',
    help: 'Time to decide, store and facilitator calls included.',
    labelNames: ['policy'] as const,
    buckets: DECISION_BUCKETS,
    registers: [registry],
  });
  const storeSeconds = new Histogram({
    name: 'tollgate_store_duration_seconds',
    help: 'Duration of store calls (failed ones included, up to the policy timeout).',
    labelNames: ['store', 'operation'] as const,
    buckets: STORE_BUCKETS,
    registers: [registry],
  });
  const storeFailures = new Counter({
    name: 'tollgate_store_failures_total',
    help: 'Store calls that failed or timed out.',
    labelNames: ['store', 'operation'] as const,
    registers: [registry],
  });
  const payments = new Counter({
    name: 'tollgate_payments_total',
    help: 'x402 payment events: verified, invalid, unavailable (facilitator), replayed, settled, settle-failed, not-settled (upstream >= 400).',
    labelNames: ['policy', 'event'] as const,
    registers: [registry],
  });
  const compensations = new Counter({
    name: 'tollgate_compensations_total',
    help: 'Work sent again after the answer: void-admission, void-claim (refused requests whose store call may have run), complete-hold (a chargeOn success completion that failed once); landed or given-up.',
    labelNames: ['policy', 'work', 'outcome'] as const,
    registers: [registry],
  });
  const unsettledHolds = new Counter({
    name: 'tollgate_unsettled_holds_total',
    help: 'chargeOn success holds whose completion never landed: the store settles them at expiry as costs.onUnsettled says (commit or release).',
    labelNames: ['policy', 'settlement'] as const,
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'tollgate_notifications_total',
    help: 'Webhook notifications (quota.threshold, credits.below, payment.denied): sent (the receiver answered 2xx) or failed (given up after retries, or never claimed).',
    labelNames: ['policy', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const meteredUnits = new Counter({
    name: 'tollgate_metered_units_total',
    help: 'Cost units metered routes settled (the actual cost from the response, or the estimate when it was unread), before any write-off.',
    labelNames: ['policy', 'route'] as const,
    registers: [registry],
  });
  const meteredUnread = new Counter({
    name: 'tollgate_metered_cost_unread_total',
    help: 'Metered responses whose cost could not be read (header or usage missing or malformed, no price for the model): the estimate was charged.',
    labelNames: ['policy', 'route'] as const,
    registers: [registry],
  });
  const unsupportedOptions = new Gauge({
    name: 'tollgate_x402_unsupported_options',
    help: "x402 payment options the facilitator's GET /supported did not list at start-up (or, for upto, whose facilitatorAddress it does not give); -1 when the facilitator could not be asked.",
    labelNames: ['policy'] as const,
    registers: [registry],
  });
  // Label lookups cost more than the increments: each label set's child is resolved once.
  const decisionChildren = new Map<string, { inc(): void }>();
  const latencyChildren = new Map<string, { observe(value: number): void }>();
  const storeChildren = new Map<string, { observe(value: number): void }>();
  return {
    ...NO_OBSERVER,
    registry,
    decided(log: DecisionLog, latencyMs: number) {
      const key = `${log.policy}\0${log.decision}\0${log.reason}\0${String(log.status)}`;
      let counter = decisionChildren.get(key);
      if (counter === undefined) {
        counter = decisions.labels({ policy: log.policy, decision: log.decision, reason: log.reason, status: String(log.status) });
        decisionChildren.set(key, counter);
      }
      counter.inc();
      let latency = latencyChildren.get(log.policy);
      if (latency === undefined) {
        latency = decisionSeconds.labels({ policy: log.policy });
        latencyChildren.set(log.policy, latency);
      }
      latency.observe(latencyMs / 1000);
    },
    storeCall(store, operation, seconds, failed) {
      const key = `${store}\0${operation}`;
      let duration = storeChildren.get(key);
      if (duration === undefined) {
        duration = storeSeconds.labels({ store, operation });
        storeChildren.set(key, duration);
      }
      duration.observe(seconds);
      if (failed) storeFailures.inc({ store, operation });
    },
    payment(policy, event) {
      payments.inc({ policy, event });
    },
    compensated({ policy, work, outcome, unsettled }) {
      compensations.inc({ policy, work, outcome });
      if (unsettled !== undefined) unsettledHolds.inc({ policy, settlement: unsettled });
    },
    notified({ policy, type, outcome }) {
      notifications.inc({ policy, type, outcome });
    },
    metered({ policy, route, event, settle }) {
      if (settle !== undefined) meteredUnits.inc({ policy, route }, settle);
      if (event === 'cost-unread') meteredUnread.inc({ policy, route });
    },
    offerChecked({ policy, outcome, unsupported }) {
      unsupportedOptions.set({ policy }, outcome === 'unchecked' ? -1 : unsupported.length);
    },
  };
}
