import type { Project } from '../load/load-project.js';
import { RATE_WINDOWS } from '../schema/policy-schema.js';
import type { Rule, RuleFinding } from './rule.js';
import { planEntries } from './plan-entries.js';

export const rateLimitOrder: Rule = {
  id: 'rate-limit-order',
  severity: 'error',
  description: 'A longer rate-limit window may not allow fewer requests than a shorter one (Kong rejects such a config).',
  *check(project: Project): Iterable<RuleFinding> {
    for (const entry of planEntries(project)) {
      const limits = entry.plan.rateLimit;
      if (!limits) continue;
      const set = RATE_WINDOWS.filter((w) => limits[w] !== undefined);
      for (const [i, longer] of set.entries()) {
        const longLimit = limits[longer] ?? 0;
        // Compare with the largest shorter window only: one finding per offending limit.
        const shorter = set.slice(0, i).reduce<(typeof set)[number] | undefined>((max, w) => ((limits[w] ?? 0) > (max === undefined ? 0 : (limits[max] ?? 0)) ? w : max), undefined);
        const shortLimit = shorter === undefined ? 0 : (limits[shorter] ?? 0);
        if (shorter !== undefined && longLimit < shortLimit) {
          yield {
            document: entry.document,
            path: [...entry.path, 'rateLimit', longer],
            message: `plan "${entry.name}" allows ${longLimit} per ${longer}, fewer than its ${shortLimit} per ${shorter}`,
          };
        }
      }
    }
  },
};
