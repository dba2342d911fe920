import type { Project } from '../load/load-project.js';
import { plansOf } from './plan-entries.js';
import type { Rule, RuleFinding } from './rule.js';

export const meteredNothingCharged: Rule = {
  id: 'metered-nothing-charged',
  severity: 'warn',
  description: 'Metered costs count only where a plan charges units: credits, a quota in units, or overage drawn from credits or billed.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const metered = Object.keys(policy.value.spec.costs?.metered ?? {});
      if (metered.length === 0) continue;
      const charges = plansOf(project, policy).some(({ plan }) => plan.credits === true || plan.quota?.units !== undefined || plan.overage === 'credits' || plan.overage === 'bill');
      if (charges) continue;
      yield {
        document: policy,
        path: ['spec', 'costs', 'metered'],
        at: 'key',
        message: `policy "${policy.value.metadata.name}" meters ${metered.join(', ')}, but no plan charges units (credits: true, quota.units, overage: credits or bill): the costs read from responses change nothing`,
      };
    }
  },
};
