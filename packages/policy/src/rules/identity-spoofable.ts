import type { Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';
import { plansOf } from './plan-entries.js';

export const identitySpoofable: Rule = {
  id: 'identity-spoofable',
  severity: 'error',
  description: 'Limits per consumer, per-caller plans, subscriptions and credits need gateway authentication; otherwise any caller can claim any identity.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const { identity, subscription } = policy.value.spec;
      if (identity.auth !== 'none') continue;
      if (identity.limitBy === 'consumer' || identity.limitBy === 'credential') {
        yield { document: policy, path: ['spec', 'identity', 'limitBy'], message: `limitBy ${identity.limitBy} needs an authentication method (identity.auth: key-auth)` };
        continue;
      }
      const plans = plansOf(project, policy);
      const perCaller = plans.length > 1 || plans.some((p) => p.plan.credits === true || p.plan.quota !== undefined) || subscription?.required === true;
      if (perCaller) {
        yield { document: policy, path: ['spec', 'identity', 'auth'], message: `plans, quotas, credits or subscriptions per caller identified by ${identity.limitBy} without authentication can be spoofed; use key-auth` };
      }
    }
  },
};
