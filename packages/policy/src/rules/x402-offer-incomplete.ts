import type { Project } from '../load/load-project.js';
import { x402OfferProblems } from '../schema/x402-options.js';
import type { Rule, RuleFinding } from './rule.js';

export const x402OfferIncomplete: Rule = {
  id: 'x402-offer-incomplete',
  severity: 'error',
  description:
    'An x402 offer needs a facilitator, and each of its payment options a price, asset, network and payTo, prices the asset can express, upto prices within maxPrice, and route prices for routes that exist; otherwise clients cannot pay it or the gateway would charge other than it says.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const offer = policy.value.spec.payment?.x402;
      if (!offer) continue;
      const at = ['spec', 'payment', 'x402'];
      const routes = new Set(policy.value.spec.routes.map((route) => route.name));
      // The facilitator joins what the offer itself lacks (the engine runs without one, refusing every payment).
      const problems = x402OfferProblems(offer, routes, true);
      for (const problem of problems) yield { document: policy, path: [...at, ...problem.path], at: 'key', message: problem.message };
    }
  },
};
