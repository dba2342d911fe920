// What one chaos run asks of the engine, all derived from its seed: the policy (fail closed, a
// small store timeout, credits drawn per request, a monthly request quota, an x402 offer), each
// consumer's credits, the payments, and every process's 1,000 requests.
import { ANONYMOUS_CONSUMER } from '../../packages/compiler/src/index.js';
import type { EngineConfig, StoreKind } from '../../packages/engine/src/index.js';
import { mulberry32 } from '../support/seeded-random.js';
import { x402Policy } from '../support/x402-policy.js';

export const PROCESSES = 4;
export const DECISIONS_PER_PROCESS = 1000;
/** Consumers that draw credits and quota; every process decides for all of them. */
export const CONSUMERS = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'] as const;
/** Key-auth's anonymous consumer, as the compiled gateway configuration delivers unauthenticated callers. */
export const ANONYMOUS = ANONYMOUS_CONSUMER;
export const QUOTA_REQUESTS = 400;
/** Small, so that a stalled server turns decisions into 503s while their scripts wait on it. */
export const STORE_TIMEOUT_MS = 40;
export const KEY_PREFIX = 'tollgate';
export const HOST = 'api.example.com';
/** The routes requests go to, and what each costs in credits. */
export const ROUTES = [
  { name: 'forecast', path: '/v1/forecast', cost: 2 },
  { name: 'history', path: '/v1/history', cost: 5 },
] as const;
/** Distinct payments per run; every request that carries one picks one at random, so each is presented several times, by several processes. */
export const PAYMENTS_PER_RUN = 24;
const ANONYMOUS_SHARE = 0.01;
const PAYMENT_SHARE = 0.025;
/** Credits granted per consumer: around what its share of requests costs, so that some run out before the quota and some after. */
const CREDITS_RANGE = [700, 2000] as const;

/** One request as a process receives it: who (the consumer key-auth resolved), where, and the payment it carries. */
export interface ChaosRequest {
  /** Unique in the run. */
  readonly id: number;
  readonly consumer: string;
  readonly route: number;
  /** Index into the run's payments. */
  readonly payment?: number;
}

/** What a process answered, as the gateway hands it to the client. */
export interface Answer {
  readonly id: number;
  readonly allowed: boolean;
  readonly status: number;
  /** `allowed` or the deny reason. */
  readonly reason: string;
  /** Allowed because a payment paid for it (x402), not the consumer's plan. */
  readonly paid: boolean;
}

export interface Workload {
  /** Credits granted to each consumer before the run. */
  readonly credits: Readonly<Record<string, number>>;
  /** Per process, its requests in the order it sends them. */
  readonly lanes: readonly (readonly ChaosRequest[])[];
}

export function chaosPolicy(kind: StoreKind, facilitatorUrl: string, timeoutMs = STORE_TIMEOUT_MS): EngineConfig {
  return x402Policy(facilitatorUrl, {
    policy: 'chaos',
    plans: [{ name: 'metered', plan: { credits: true, quota: { requests: QUOTA_REQUESTS, per: 'month' } } }],
    defaultPlan: 'metered',
    costs: { default: ROUTES[0].cost, routes: Object.fromEntries(ROUTES.map((r) => [r.name, r.cost])) },
    store: { kind, keyPrefix: KEY_PREFIX, onFailure: 'closed', timeoutMs },
  });
}

/** Two independent streams from one seed, so the workload does not change when the fault plan does. */
export function seededStreams(seed: number): { readonly workload: () => number; readonly faults: () => number } {
  return { workload: mulberry32(seed), faults: mulberry32(seed ^ 0x5bd1e995) };
}

export function workload(random: () => number): Workload {
  const pick = (n: number): number => Math.floor(random() * n);
  const credits = Object.fromEntries(CONSUMERS.map((c) => [c, CREDITS_RANGE[0] + pick(CREDITS_RANGE[1] - CREDITS_RANGE[0] + 1)]));
  const lanes = Array.from({ length: PROCESSES }, (_, lane) =>
    Array.from({ length: DECISIONS_PER_PROCESS }, (_, k): ChaosRequest => {
      const id = lane * DECISIONS_PER_PROCESS + k;
      const route = pick(ROUTES.length);
      // Anonymous callers can only pay per request, so they always carry a payment.
      if (random() < ANONYMOUS_SHARE) return { id, consumer: ANONYMOUS, route, payment: pick(PAYMENTS_PER_RUN) };
      const consumer = CONSUMERS[pick(CONSUMERS.length)] as string;
      return random() < PAYMENT_SHARE ? { id, consumer, route, payment: pick(PAYMENTS_PER_RUN) } : { id, consumer, route };
    }),
  );
  return { credits, lanes };
}
