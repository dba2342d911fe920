// Plans a metered route's holds are settled under, for the settlement tests (store README,
// `completeHold`): each way an actual cost can be charged — credits only (with an overdraft), a
// units quota whose overage is billed, drawn from credits or blocked, and credits drawn alongside
// a units and a requests quota.
import type { OverageMode, PlanRule, QuotaRule, RouteRules } from '../../packages/engine/src/index.js';

export const SETTLE_POLICY = 'metered';

interface Shape {
  readonly credits: boolean;
  readonly overage: OverageMode;
  readonly quotas: readonly QuotaRule[];
  readonly overdraft: number;
  readonly onUnsettled?: 'commit';
}

function routeRules(shape: Shape): RouteRules {
  const plan: PlanRule = {
    kind: 'check',
    windows: [{ name: 'minute', limit: 10_000, ms: 60_000, sliding: true }],
    quotas: shape.quotas,
    credits: shape.credits,
    overage: shape.overage,
    counters: {
      windows: [`${SETTLE_POLICY}|60000`],
      quotas: shape.quotas.map((q) => `${SETTLE_POLICY}|${q.unit}`),
      overage: `${SETTLE_POLICY}|overage`,
    },
  };
  return {
    policy: SETTLE_POLICY,
    cost: 1,
    plans: { metered: plan },
    noPlan: { kind: 'deny', reason: 'not-entitled' },
    overdraft: shape.overdraft,
    ...(shape.onUnsettled === undefined ? {} : { onUnsettled: shape.onUnsettled }),
  };
}

const units = (limit: number): QuotaRule => ({ unit: 'units', limit, per: 'month', anchor: 'calendar' });
const requests = (limit: number): QuotaRule => ({ unit: 'requests', limit, per: 'month', anchor: 'calendar' });

/** Name → rules; the plan is `metered`, the fallback plan every admission names. */
export const SETTLE_PLANS: Readonly<Record<string, RouteRules>> = {
  'credits with an overdraft': routeRules({ credits: true, overage: 'block', quotas: [], overdraft: 40 }),
  'units quota, overage billed': routeRules({ credits: false, overage: 'bill', quotas: [units(500)], overdraft: 0 }),
  'units quota, overage from credits with an overdraft': routeRules({ credits: false, overage: 'credits', quotas: [units(300)], overdraft: 25, onUnsettled: 'commit' }),
  'units quota, blocked': routeRules({ credits: false, overage: 'block', quotas: [units(2500)], overdraft: 0 }),
  'credits and a units and a requests quota, overage billed': routeRules({ credits: true, overage: 'bill', quotas: [units(350), requests(40)], overdraft: 10 }),
};
