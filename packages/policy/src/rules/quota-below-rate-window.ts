import type { Project } from '../load/load-project.js';
import { RATE_WINDOWS, type RateWindow } from '../schema/policy-schema.js';
import type { Rule, RuleFinding } from './rule.js';
import { planEntries } from './plan-entries.js';

const SECONDS: Record<RateWindow | 'month', number> = { second: 1, minute: 60, hour: 3600, day: 86_400, month: 28 * 86_400 };

export const quotaBelowRateWindow: Rule = {
  id: 'quota-below-rate-window',
  severity: 'info',
  description: 'A billing-period quota smaller than what one rate-limit window admits: the rate limit never binds before the quota does.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const entry of planEntries(project)) {
      const { quota, rateLimit } = entry.plan;
      if (quota?.requests === undefined || !rateLimit) continue;
      const period = SECONDS[quota.per];
      for (const window of RATE_WINDOWS) {
        const limit = rateLimit[window];
        if (limit === undefined || SECONDS[window] > period || limit <= quota.requests) continue;
        yield {
          document: entry.document,
          path: [...entry.path, 'quota', 'requests'],
          message: `plan "${entry.name}" allows ${limit} requests in one ${window} but only ${quota.requests} per ${quota.per}`,
        };
        break;
      }
    }
  },
};
