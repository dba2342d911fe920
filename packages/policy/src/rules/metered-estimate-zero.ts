import type { Project } from '../load/load-project.js';
import { drawsCredits, meteredEntries } from './metered-entries.js';
import type { Rule, RuleFinding } from './rule.js';

export const meteredEstimateZero: Rule = {
  id: 'metered-estimate-zero',
  severity: 'warn',
  description: 'An estimate of 0 under credits holds nothing: a caller without credits is let through and the actual cost goes to the overdraft or is written off.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const { route, spec, policy, path } of meteredEntries(project)) {
      if (!drawsCredits(project, policy)) continue;
      const { estimate } = spec;
      const zero = typeof estimate === 'number' ? estimate === 0 : estimate.fallback === 0;
      if (!zero) continue;
      const where = typeof estimate === 'number' ? [...path, 'estimate'] : [...path, 'estimate', 'fallback'];
      yield { document: policy, path: where, message: `metered route "${route}" holds 0 units${typeof estimate === 'number' ? '' : ' when the request has no ' + estimate.requestField}, so a caller without credits is let through and its cost overdraws the balance or is written off: hold what a typical request costs` };
    }
  },
};
