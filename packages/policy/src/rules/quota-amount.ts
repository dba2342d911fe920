import type { Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';
import { planEntries } from './plan-entries.js';

export const quotaAmount: Rule = {
  id: 'quota-amount',
  severity: 'error',
  description: 'A quota counts either requests or cost units: exactly one of the two.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const entry of planEntries(project)) {
      const { quota } = entry.plan;
      if (!quota) continue;
      if (quota.requests !== undefined && quota.units !== undefined) {
        yield { document: entry.document, path: [...entry.path, 'quota', 'units'], at: 'key', message: `plan "${entry.name}": a quota has requests or units, not both` };
      } else if (quota.requests === undefined && quota.units === undefined) {
        yield { document: entry.document, path: [...entry.path, 'quota'], at: 'key', message: `plan "${entry.name}": the quota needs requests or units` };
      }
    }
  },
};
