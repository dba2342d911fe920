import type { Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';
import { plansOf } from './plan-entries.js';

// Charges per a client-chosen identity are identity-spoofable's (an error); this rule covers the
// rate limits, which a header the client picks makes worthless, and the header that authentication
// makes moot (the engine never lets it widen what a consumer gets: compile/identity.ts).
export const clientChosenIdentity: Rule = {
  id: 'client-chosen-identity',
  severity: 'warn',
  description: 'A header the client chooses cannot decide limits: without authentication a new value each request escapes them; with key-auth it is not used.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const { identity } = policy.value.spec;
      if (identity.limitBy !== 'header' || identity.header === undefined) continue;
      const header = identity.header;
      if (identity.auth !== 'none') {
        yield {
          document: policy,
          path: ['spec', 'identity', 'limitBy'],
          message: `with ${identity.auth}, ${header} cannot split or widen limits: authenticated consumers count per consumer and callers without a key per client IP; use limitBy consumer (or ip)`,
        };
        continue;
      }
      const limited = plansOf(project, policy).filter((entry) => entry.plan.rateLimit !== undefined);
      if (limited.length > 0) {
        yield {
          document: policy,
          path: ['spec', 'identity', 'header'],
          message: `rate limits of plan ${limited.map((entry) => `"${entry.name}"`).join(', ')} count per ${header} value, which the client chooses: a new value on every request escapes them; use key-auth or limitBy ip, unless a trusted proxy sets ${header}`,
        };
      }
    }
  },
};
