// Compiles a config into the caller-independent rules of one (route, method): cost, subscription
// requirement and what each plan means there. Built once per pair and cached; the store receives
// the same immutable object on every request.
import type { Plan, RateWindow } from '@tollgate/policy/schema';
import { DAY_MS } from '../store/billing-period.js';
import { prepareTimeZone } from '../store/zoned-period.js';
import type { CreditRefill, OverageMode, PlanRule, QuotaRule, RouteRules, SubscriptionStatus, WindowRule } from '../store/store.js';
import type { EngineConfig } from '../config/engine-config.js';

export const WINDOW_MS: Readonly<Record<RateWindow, number>> = { second: 1000, minute: 60_000, hour: 3_600_000, day: DAY_MS };
const WINDOW_ORDER: readonly RateWindow[] = ['second', 'minute', 'hour', 'day'];
/** past_due is a failed payment: the grace period past paidThrough exists for exactly this. */
export const DEFAULT_STATUSES: readonly SubscriptionStatus[] = ['active', 'trialing', 'past_due'];

export type RouteRulesFor = (route: string, method: string) => RouteRules;

export function compileRouteRules(config: EngineConfig): RouteRulesFor {
  const cache = new Map<string, Map<string, RouteRules>>();
  const checks = new Map(config.plans.map(({ name, plan }) => [name, planCheck(config.policy, plan)] as const));
  const allowAll = checkRule(config.policy, [], [], false, 'block');
  const subscription = config.subscription?.required
    ? { statuses: config.subscription.statuses ?? DEFAULT_STATUSES, graceMs: (config.subscription.graceDays ?? 0) * DAY_MS }
    : undefined;

  const overdraft = config.costs.overdraft ?? 0;
  const build = (route: string, method: string): RouteRules => {
    const entitled = config.plans.map(({ plan }) => includes(plan, route, method));
    const plans: Record<string, PlanRule> = {};
    config.plans.forEach(({ name }, i) => {
      plans[name] = entitled[i] ? (checks.get(name) as PlanRule) : { kind: 'deny', reason: entitled.slice(i + 1).includes(true) ? 'plan-upgrade-required' : 'not-entitled' };
    });
    const noPlan: PlanRule =
      config.plans.length === 0 ? allowAll : { kind: 'deny', reason: entitled.includes(true) ? 'plan-upgrade-required' : 'not-entitled' };
    return {
      policy: config.policy,
      cost: costOf(config, route, method),
      ...(subscription === undefined ? {} : { subscription }),
      plans,
      noPlan,
      ...(config.costs.onUnsettled === 'commit' ? { onUnsettled: 'commit' as const } : {}),
      // Only a metered route's settlement can take more than its hold: the only one that overdraws.
      ...(overdraft > 0 && config.costs.metered?.[route] !== undefined ? { overdraft } : {}),
    };
  };

  return (route, method) => {
    let byMethod = cache.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      cache.set(route, byMethod);
    }
    let rules = byMethod.get(method);
    if (rules === undefined) {
      rules = build(route, method);
      byMethod.set(method, rules);
    }
    return rules;
  };
}

/**
 * The rules the usage endpoint previews with: every plan's windows and quotas (counters named as
 * on every route), cost 0, no subscription, no credits and overage `block`. So the preview counts
 * the request in exactly when its outcome is `allowed` (windows one more, each requests quota one
 * more) and reports every counter as it stands otherwise: the usage is then read back exactly.
 */
export function compileUsageRules(config: EngineConfig): RouteRules {
  const plans: Record<string, PlanRule> = {};
  for (const { name, plan } of config.plans) {
    const check = planCheck(config.policy, plan);
    plans[name] = check.kind === 'check' ? { ...check, credits: false, overage: 'block' } : check;
  }
  return { policy: config.policy, cost: 0, plans, noPlan: checkRule(config.policy, [], [], false, 'block') };
}

function planCheck(policy: string, plan: Plan): PlanRule {
  const rate = plan.rateLimit;
  const windows: WindowRule[] = [];
  for (const name of WINDOW_ORDER) {
    const limit = rate?.[name];
    if (limit !== undefined) windows.push({ name, limit, ms: WINDOW_MS[name], sliding: rate?.window === 'sliding' });
  }
  const quotas: QuotaRule[] = [];
  const quota = plan.quota;
  if (quota !== undefined) {
    if (quota.timeZone !== undefined) prepareTimeZone(quota.timeZone);
    const period = { per: quota.per, anchor: quota.anchor ?? 'calendar', ...(quota.timeZone === undefined ? {} : { timeZone: quota.timeZone }) } as const;
    if (quota.requests !== undefined) quotas.push({ unit: 'requests', limit: quota.requests, ...period });
    if (quota.units !== undefined) quotas.push({ unit: 'units', limit: quota.units, ...period });
  }
  const refill = plan.refill === undefined ? undefined : creditRefill(plan.refill);
  return checkRule(policy, windows, quotas, plan.credits ?? false, plan.overage ?? 'block', refill);
}

function creditRefill(refill: NonNullable<Plan['refill']>): CreditRefill {
  if (refill.timeZone !== undefined) prepareTimeZone(refill.timeZone);
  return { amount: refill.amount, per: refill.every, anchor: refill.anchor ?? 'calendar', ...(refill.timeZone === undefined ? {} : { timeZone: refill.timeZone }) };
}

function checkRule(policy: string, windows: readonly WindowRule[], quotas: readonly QuotaRule[], credits: boolean, overage: OverageMode, refill?: CreditRefill): PlanRule {
  const counters = {
    windows: windows.map((w) => `${policy}|${String(w.ms)}`),
    quotas: quotas.map((q) => `${policy}|${q.unit}`),
    overage: `${policy}|overage`,
  };
  return refill === undefined ? { kind: 'check', windows, quotas, credits, overage, counters } : { kind: 'check', windows, quotas, credits, overage, counters, refill };
}

function includes(plan: Plan, route: string, method: string): boolean {
  if (plan.routes === undefined) return true;
  return plan.routes.some((grant) => (typeof grant === 'string' ? grant === route : grant.route === route && (grant.methods as readonly string[]).includes(method)));
}

/** A route's cost wins over its method's, which wins over the default (1 when unset). */
export function costOf(config: EngineConfig, route: string, method: string): number {
  const { costs } = config;
  return costs.routes?.[route] ?? costs.methods?.[method] ?? costs.default ?? 1;
}
