import type { Project } from '../load/load-project.js';
import { meteredEntries } from './metered-entries.js';
import type { Rule, RuleFinding } from './rule.js';

export const meteredPricesMissing: Rule = {
  id: 'metered-prices-missing',
  severity: 'error',
  description: 'Tokens become units only through prices: token usage and an estimate from a request field need prices, and model: route needs a "*" price.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const { route, spec, policy, path } of meteredEntries(project)) {
      const prices = spec.prices ?? {};
      const priced = Object.keys(prices).length > 0;
      if (spec.usage !== undefined && !priced) {
        yield { document: policy, path: [...path, 'usage'], at: 'key', message: `metered route "${route}" counts tokens but has no prices to turn them into units: add prices (e.g. "*": { input: 1, output: 1 })` };
      }
      if (typeof spec.estimate === 'object' && !priced) {
        yield { document: policy, path: [...path, 'estimate', 'requestField'], message: `metered route "${route}" estimates from ${spec.estimate.requestField} tokens but has no prices to turn them into units: add prices or give a fixed estimate` };
      }
      if (priced && spec.model === 'route' && prices['*'] === undefined) {
        yield { document: policy, path: [...path, 'model'], message: `metered route "${route}" prices every request at "*" (model: route) but has no "*" price: every request would be charged its estimate` };
      }
    }
  },
};
