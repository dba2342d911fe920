import type { Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';

export const anonymousWithoutOffer: Rule = {
  id: 'anonymous-without-offer',
  severity: 'warn',
  description: 'identity.anonymous lets unauthenticated callers through only to pay per request: without an x402 offer they all get 401.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const { spec } = policy.value;
      if (spec.identity.anonymous === true && !spec.payment?.x402) {
        yield { document: policy, path: ['spec', 'identity', 'anonymous'], message: 'anonymous callers are let through but there is no payment.x402 offer for them' };
      }
    }
  },
};
