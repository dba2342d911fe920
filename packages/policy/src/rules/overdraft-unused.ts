import type { Project } from '../load/load-project.js';
import { drawsCredits } from './metered-entries.js';
import type { Rule, RuleFinding } from './rule.js';

export const overdraftUnused: Rule = {
  id: 'overdraft-unused',
  severity: 'warn',
  description: 'costs.overdraft applies only where a metered route settles above its estimate against a plan that draws credits.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const costs = policy.value.spec.costs;
      if (costs?.overdraft === undefined || costs.overdraft === 0) continue;
      const why =
        Object.keys(costs.metered ?? {}).length === 0
          ? 'no route is metered (only a settlement above its estimate overdraws)'
          : !drawsCredits(project, policy)
            ? 'no plan draws credits (credits: true or overage: credits)'
            : undefined;
      if (why !== undefined) yield { document: policy, path: ['spec', 'costs', 'overdraft'], message: `costs.overdraft never applies: ${why}` };
    }
  },
};
