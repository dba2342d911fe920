import type { Project } from '../load/load-project.js';
import { QUOTA_PERIODS, RATE_WINDOWS, type RateWindow } from '../schema/policy-schema.js';
import type { Rule, RuleFinding } from './rule.js';
import { planEntries } from './plan-entries.js';

// The shortest each period can be (a zoned day can be 23 hours, but no window is longer than a day).
const SECONDS: Record<RateWindow | (typeof QUOTA_PERIODS)[number], number> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86_400,
  week: 7 * 86_400,
  month: 28 * 86_400,
  year: 365 * 86_400,
  lifetime: Number.POSITIVE_INFINITY,
};

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
