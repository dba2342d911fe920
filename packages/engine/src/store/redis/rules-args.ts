// RouteRules as the positional ARGV tail the admit script reads (lua/admit.ts, decodeRules).
// Decoding JSON in the script (cjson) was a quarter of its server time; positional strings let it
// read only the fields it needs, and only the rule of the plan that applies. Built once per
// RouteRules (immutable and shared) and cached.
//
// Layout, 1-based from the first element:
//   policy, cost, subscription grace ms ('' = no subscription required), status count S, S statuses,
//   noPlan rule offset, plan count P, P × (plan name, rule offset), then the rules.
// A rule: 'deny', reason | 'check', credits (1/0), overage, window count W, W × (name, limit, ms,
//   sliding 1/0), quota count Q, Q × (unit, limit, per, anchor).
// Offsets are positions in this list (add the index of its first element in ARGV, less one).
import type { PlanRule, RouteRules } from '../store.js';

export type RulesArgs = readonly (string | number)[];

const cache = new WeakMap<RouteRules, RulesArgs>();

export function rulesArgs(rules: RouteRules): RulesArgs {
  let args = cache.get(rules);
  if (args === undefined) {
    args = encode(rules);
    cache.set(rules, args);
  }
  return args;
}

function encode(rules: RouteRules): RulesArgs {
  const statuses = rules.subscription?.statuses ?? [];
  const head: (string | number)[] = [rules.policy, rules.cost, rules.subscription?.graceMs ?? '', statuses.length, ...statuses];
  const plans = Object.entries(rules.plans);
  // The header ends after noPlan's offset, the plan count and two entries per plan.
  let offset = head.length + 2 + 2 * plans.length + 1;
  const body: (string | number)[] = [];
  const place = (rule: PlanRule): number => {
    const at = offset;
    const encoded = encodeRule(rule);
    body.push(...encoded);
    offset += encoded.length;
    return at;
  };
  const noPlan = place(rules.noPlan);
  const index = plans.flatMap(([name, rule]) => [name, place(rule)]);
  return [...head, noPlan, plans.length, ...index, ...body];
}

function encodeRule(rule: PlanRule): (string | number)[] {
  if (rule.kind === 'deny') return ['deny', rule.reason];
  return [
    'check',
    rule.credits ? 1 : 0,
    rule.overage,
    rule.windows.length,
    ...rule.windows.flatMap((w) => [w.name, w.limit, w.ms, w.sliding ? 1 : 0]),
    rule.quotas.length,
    ...rule.quotas.flatMap((q) => [q.unit, q.limit, q.per, q.anchor]),
  ];
}
