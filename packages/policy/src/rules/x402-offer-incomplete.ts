import type { Project } from '../load/load-project.js';
import { x402OfferProblems } from '../schema/x402-options.js';
import type { Rule, RuleFinding } from './rule.js';

const MISSING = 'x402 offer is missing';

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
      const problems = x402OfferProblems(offer, routes);
      // The facilitator joins what the offer itself lacks (the engine runs without one, refusing every payment).
      if (offer.facilitator === undefined) {
        const own = problems.findIndex((p) => p.path.length === 0 && p.message.startsWith(MISSING));
        const lacking = own < 0 ? undefined : problems[own];
        if (lacking === undefined) problems.unshift({ path: [], message: `${MISSING} facilitator` });
        else problems[own] = { ...lacking, message: `${lacking.message}, facilitator` };
      }
      for (const problem of problems) yield { document: policy, path: [...at, ...problem.path], at: 'key', message: problem.message };
    }
  },
};
