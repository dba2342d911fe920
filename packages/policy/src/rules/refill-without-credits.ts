import type { Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';
import { planEntries } from './plan-entries.js';

export const refillWithoutCredits: Rule = {
  id: 'refill-without-credits',
  severity: 'error',
  description: 'A plan that refills credits must draw from them (credits: true or overage: credits): else the refill tops up a balance nothing spends.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const entry of planEntries(project)) {
      const { refill, credits, overage } = entry.plan;
      if (refill === undefined || credits === true || overage === 'credits') continue;
      yield {
        document: entry.document,
        path: [...entry.path, 'refill'],
        at: 'key',
        message: `plan "${entry.name}" refills credits but never draws from them: add credits: true or overage: credits, or drop refill`,
      };
    }
  },
};
