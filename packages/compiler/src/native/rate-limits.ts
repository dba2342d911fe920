// Which fixed-window rate limits a gateway can enforce itself. The answer is per policy and
// all-or-nothing: if one plan's limits stay in Tollgate, all do, so no caller is counted twice or
// by two different algorithms.
import { RATE_WINDOWS, type NativeRedis, type RateWindow } from '@tollgate/policy';
import type { EngineConfig } from '../engine-config.js';
import { omit } from '../omit.js';
import { describeRedis, gatewayRedis, type GatewayRedis } from './redis.js';

export type Windows = Partial<Record<RateWindow, number>>;

export const WINDOW_SECONDS: Record<RateWindow, number> = { second: 1, minute: 60, hour: 3600, day: 86_400 };

/** The limits of every plan, and whether one set of limits applies to every caller. */
export type LimitShape =
  | { readonly kind: 'none' }
  | { readonly kind: 'uniform'; readonly windows: Windows }
  | { readonly kind: 'per-plan'; readonly plans: readonly { readonly plan: string; readonly windows: Windows | undefined }[] };

export function windowsOf(plan: EngineConfig['plans'][number]['plan']): Windows | undefined {
  const limit = plan.rateLimit;
  if (!limit) return undefined;
  const windows: Windows = {};
  for (const w of RATE_WINDOWS) if (limit[w] !== undefined) windows[w] = limit[w];
  return Object.keys(windows).length === 0 ? undefined : windows;
}

export function sameWindows(a: Windows | undefined, b: Windows | undefined): boolean {
  return RATE_WINDOWS.every((w) => a?.[w] === b?.[w]);
}

export function limitShape(config: EngineConfig): LimitShape {
  const plans = config.plans.map(({ name, plan }) => ({ plan: name, windows: windowsOf(plan) }));
  if (plans.every((p) => p.windows === undefined)) return { kind: 'none' };
  const [first] = plans;
  if (first?.windows && plans.every((p) => sameWindows(p.windows, first.windows))) return { kind: 'uniform', windows: first.windows };
  return { kind: 'per-plan', plans };
}

/**
 * Where a gateway's own limiter keeps its counters: node memory when the policy's store is memory
 * (one node), the policy's store.native Redis when the store is shared. Undefined: a shared store
 * without store.native, which a node-local counter would not honour.
 */
export type GatewayCounters = { readonly kind: 'local' } | { readonly kind: 'redis'; readonly redis: GatewayRedis };

export function gatewayCounters(config: EngineConfig, native: NativeRedis | undefined): GatewayCounters | undefined {
  if (config.store.kind === 'memory') return { kind: 'local' };
  const redis = native && gatewayRedis(native);
  return redis ? { kind: 'redis', redis } : undefined;
}

/** "local", "redis at host:port" or "redis cluster at …", for explanations. */
export function describeCounters(counters: GatewayCounters): string {
  return counters.kind === 'local' ? 'local' : describeRedis(counters.redis);
}

/** Reasons shared by both gateways for keeping a policy's rate limits in Tollgate. */
export function commonBlockers(config: EngineConfig, counters: GatewayCounters | undefined): string[] {
  const reasons: string[] = [];
  const sliding = config.plans.filter((p) => p.plan.rateLimit?.window === 'sliding').map((p) => p.name);
  if (sliding.length > 0) reasons.push(`sliding windows (plan ${sliding.join(', ')}) are Tollgate's algorithm`);
  if (!counters) {
    reasons.push(
      `the store is ${config.store.kind} and store.native is not set: Tollgate checks the windows in the same atomic round trip as quota and credits; to have the gateway count them in Redis itself, give store.native a host and port, or a Redis Cluster's seed nodes in cluster.nodes (APISIX only): gateway limiters take them as literal fields, and the store's connection is one environment reference`,
    );
  }
  if (config.identity.anonymous === true && (config.identity.limitBy === 'consumer' || config.identity.limitBy === 'credential')) {
    reasons.push('anonymous callers share one gateway consumer, so the gateway would count all of them as one caller');
  }
  if (config.identity.auth !== 'none' && config.identity.limitBy === 'header') {
    reasons.push(
      `the gateway would count per ${config.identity.header ?? 'header'} value, which the client chooses, so an authenticated consumer could escape its limits by changing it; Tollgate counts each consumer's own windows (callers without one per IP)`,
    );
  }
  return reasons;
}

/** The engine configuration without the rate limits a gateway now enforces natively. */
export function withoutRateLimits(config: EngineConfig): EngineConfig {
  return {
    ...config,
    plans: config.plans.map(({ name, plan }) => ({ name, plan: omit(plan, 'rateLimit') })),
  };
}
