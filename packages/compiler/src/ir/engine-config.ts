import { resolvePlans, type Located, type Plan, type PolicyDocument, type Project } from '@tollgate/policy';
import { DEFAULT_SUBSCRIPTION_STATUSES } from '@tollgate/engine';
import type { EngineConfig } from '../engine-config.js';
import { omit } from '../omit.js';
import type { ConsumerIr } from './types.js';

export const DEFAULT_KEY_NAMES = ['apikey'];
export const DEFAULT_PROBLEM_BASE_URI = 'https://tollgate.dev/problems/';
export const DEFAULT_X402_DECIMALS = 6;
/** The consumer key-auth falls back to when the policy lets unauthenticated callers through (both gateways). */
export const ANONYMOUS_CONSUMER = 'tollgate-anonymous';
export const DEFAULT_STORE_TIMEOUT_MS = 50;

/**
 * The engine configuration of one policy: plans resolved in tier order, static consumer plans
 * collected, every default written out so that the gateway plugins never guess.
 */
export function buildEngineConfig(project: Project, policy: Located<PolicyDocument>, consumers: readonly ConsumerIr[]): EngineConfig {
  const { metadata, spec } = policy.value;
  const plans = resolvePlans(project, policy).map(({ name, plan }) => ({ name, plan: withPlanDefaults(plan) }));
  const planNames = new Set(plans.map((p) => p.name));
  const consumerPlans: Record<string, string> = {};
  for (const consumer of consumers) {
    if (consumer.plan !== undefined && planNames.has(consumer.plan)) consumerPlans[consumer.name] = consumer.plan;
  }
  const { identity } = spec;
  // store.native is the gateway's own Redis: the compiler's business, not the engine's.
  const store = spec.store ? omit(spec.store, 'native') : { kind: 'memory' as const };
  const config: EngineConfig = {
    version: 1,
    policy: metadata.name,
    routes: spec.routes.map((r) => ({ ...r })),
    identity: {
      ...identity,
      ...(identity.auth === 'key-auth' ? { keyNames: identity.keyNames ?? DEFAULT_KEY_NAMES } : {}),
      hideCredentials: identity.hideCredentials ?? false,
      anonymous: identity.anonymous ?? false,
      // The engine must know the gateway's stand-in for "nobody", or its callers would share one account.
      ...(identity.auth === 'key-auth' && identity.anonymous === true ? { anonymousConsumer: ANONYMOUS_CONSUMER } : {}),
    },
    plans,
    consumerPlans,
    costs: withCostDefaults(spec.costs),
    responses: { headers: 'ietf', problemBaseUri: DEFAULT_PROBLEM_BASE_URI, ...spec.responses },
    store: { ...store, onFailure: store.onFailure ?? 'open', timeoutMs: store.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS },
  };
  if (spec.defaultPlan !== undefined) config.defaultPlan = spec.defaultPlan;
  if (spec.subscription) {
    const { statuses = [...DEFAULT_SUBSCRIPTION_STATUSES], graceDays = 0 } = spec.subscription;
    config.subscription = { ...spec.subscription, statuses, graceDays };
  }
  if (spec.payment) config.payment = withPaymentDefaults(spec.payment);
  if (spec.rewrite) config.rewrite = spec.rewrite;
  if (spec.notifications) config.notifications = withNotificationDefaults(spec.notifications);
  if (spec.usageEndpoint !== undefined) config.usageEndpoint = spec.usageEndpoint;
  return config;
}

function withPlanDefaults(plan: Plan): Plan {
  const out: Plan = { ...plan, overage: plan.overage ?? 'block', credits: plan.credits ?? false };
  if (plan.rateLimit) out.rateLimit = { ...plan.rateLimit, window: plan.rateLimit.window ?? 'fixed' };
  if (plan.quota) out.quota = { ...plan.quota, anchor: plan.quota.anchor ?? 'calendar' };
  return out;
}

/** The defaults of metered routes are written out only in policies that have one: the others' configs stay as they were. */
function withCostDefaults(costs: PolicyDocument['spec']['costs']): EngineConfig['costs'] {
  const out = { default: 1, routes: {}, methods: {}, chargeOn: 'request' as const, ...costs };
  const metered = costs?.metered;
  if (metered === undefined || Object.keys(metered).length === 0) return out;
  const routes = Object.fromEntries(
    Object.entries(metered).map(([route, m]) => {
      const estimate = typeof m.estimate === 'number' ? m.estimate : { ...m.estimate, inputTokens: m.estimate.inputTokens ?? 0 };
      return [route, { ...m, estimate, ...(m.prices === undefined ? {} : { per: m.per ?? 1, model: m.model ?? 'body' }) }];
    }),
  );
  return { ...out, overdraft: costs?.overdraft ?? 0, metered: routes };
}

export const DEFAULT_QUOTA_PERCENT = [80, 100];

function withNotificationDefaults(notifications: NonNullable<EngineConfig['notifications']>): NonNullable<EngineConfig['notifications']> {
  const thresholds = notifications.thresholds ?? {};
  return {
    ...notifications,
    thresholds: { ...thresholds, quotaPercent: [...(thresholds.quotaPercent ?? DEFAULT_QUOTA_PERCENT)].sort((a, b) => a - b) },
    paymentDenied: notifications.paymentDenied ?? true,
  };
}

function withPaymentDefaults(payment: NonNullable<EngineConfig['payment']>): NonNullable<EngineConfig['payment']> {
  if (!payment.x402) return payment;
  return { ...payment, x402: { ...payment.x402, decimals: payment.x402.decimals ?? DEFAULT_X402_DECIMALS } };
}
