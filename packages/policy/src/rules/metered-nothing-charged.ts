import type { Project } from '../load/load-project.js';
import { plansOf } from './plan-entries.js';
import type { Rule, RuleFinding } from './rule.js';

export const meteredNothingCharged: Rule = {
  id: 'metered-nothing-charged',
  severity: 'warn',
  description: 'Metered costs count only where a plan charges units: credits, a quota in units (and its billed overage), or overage drawn from credits. A requests quota counts, and bills, 1 per request whatever it cost.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const metered = Object.keys(policy.value.spec.costs?.metered ?? {});
      if (metered.length === 0) continue;
      const charges = plansOf(project, policy).some(({ plan }) => plan.credits === true || plan.quota?.units !== undefined || plan.overage === 'credits');
      if (charges) continue;
      yield {
        document: policy,
        path: ['spec', 'costs', 'metered'],
        at: 'key',
        message: `policy "${policy.value.metadata.name}" meters ${metered.join(', ')}, but no plan charges units (credits: true, quota.units or overage: credits; a requests quota counts 1 per request): the costs read from responses change nothing`,
      };
    }
  },
};
