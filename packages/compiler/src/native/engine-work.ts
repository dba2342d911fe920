// What is left for the Tollgate plugin once a target has lowered what its gateway can do itself.
import type { EngineConfig } from '../engine-config.js';
import type { Lowered } from '../explain.js';
import { meteredWork } from './metered-work.js';
import { windowsOf } from './rate-limits.js';

export interface LeftReasons {
  /** The gateway's name, for "Kong has no native … " messages. */
  readonly gateway: string;
  /** Why rate limits that are still in the config stay in Tollgate. */
  readonly rateLimits: readonly string[];
  /** Why a rewrite that is still in the config stays in Tollgate. */
  readonly rewrite: readonly string[];
}

/** Everything the engine still enforces for this config; empty when no Tollgate plugin is needed. */
export function engineWork(config: EngineConfig, why: LeftReasons): Lowered[] {
  const none = `${why.gateway} has no built-in plugin for this`;
  const work: Lowered[] = [];
  if (config.subscription?.required === true) {
    const { statuses = [], graceDays = 0 } = config.subscription;
    work.push({ feature: 'subscription', detail: `requires status ${statuses.join('|')}, ${graceDays} grace days; ${none}` });
  }
  const limited = config.plans.filter(({ plan }) => windowsOf(plan)).map(({ name }) => name);
  if (limited.length > 0) work.push({ feature: `rate limits of plan ${limited.join(', ')}`, detail: why.rateLimits.join('; ') });
  for (const { name, plan } of config.plans) {
    if (plan.quota) {
      const amount = plan.quota.requests === undefined ? `${plan.quota.units ?? 0} units` : `${plan.quota.requests} requests`;
      work.push({ feature: `quota of plan ${name}`, detail: `${amount} per ${plan.quota.per}, then ${plan.overage ?? 'block'}; ${none}` });
    }
    if (plan.routes) work.push({ feature: `entitlements of plan ${name}`, detail: `402 upgrade / 403 with problem details; ${none}` });
    if (plan.credits === true) work.push({ feature: `prepaid credits of plan ${name}`, detail: none });
  }
  if (config.payment?.x402) work.push({ feature: 'x402 pay-per-request', detail: `402 challenge, verification and settlement; ${none}` });
  if (config.rewrite?.request) work.push({ feature: 'request rewrite', detail: why.rewrite.join('; ') });
  work.push(...meteredWork(config));
  return work;
}
