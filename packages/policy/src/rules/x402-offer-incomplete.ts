import type { Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';

const REQUIRED = ['price', 'asset', 'network', 'payTo', 'facilitator'] as const;

export const x402OfferIncomplete: Rule = {
  id: 'x402-offer-incomplete',
  severity: 'error',
  description: 'An x402 offer needs price, asset, network, payTo and facilitator, or clients cannot pay it.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const offer = policy.value.spec.payment?.x402;
      if (!offer) continue;
      const missing = REQUIRED.filter((field) => offer[field] === undefined);
      if (missing.length > 0) {
        yield { document: policy, path: ['spec', 'payment', 'x402'], at: 'key', message: `x402 offer is missing ${missing.join(', ')}` };
      }
    }
  },
};
