import type { Project } from '../load/load-project.js';
import { meteredEntries } from './metered-entries.js';
import type { Rule, RuleFinding } from './rule.js';

export const meteredFixedCost: Rule = {
  id: 'metered-fixed-cost',
  severity: 'warn',
  description: 'A metered route\'s cost comes from its response: a fixed cost in costs.routes for it never applies.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const { route, policy } of meteredEntries(project)) {
      const fixed = policy.value.spec.costs?.routes?.[route];
      if (fixed !== undefined) {
        yield { document: policy, path: ['spec', 'costs', 'routes', route], at: 'key', message: `route "${route}" is metered: its fixed cost ${fixed} never applies (its admission holds costs.metered.${route}.estimate)` };
      }
    }
  },
};
