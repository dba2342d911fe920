import type { Project } from '../load/load-project.js';
import { meteredEntries } from './metered-entries.js';
import type { Rule, RuleFinding } from './rule.js';

export const meteredPricesUnused: Rule = {
  id: 'metered-prices-unused',
  severity: 'warn',
  description: 'Prices that never apply: on a route whose cost header states units, a model\'s own price under model: route (every request is priced "*"), or an output rate under usage { total } (a total is priced at the input rate).',
  *check(project: Project): Iterable<RuleFinding> {
    for (const { route, spec, policy, path } of meteredEntries(project)) {
      if (spec.header !== undefined && spec.usage === undefined) {
        for (const key of ['prices', 'per', 'model'] as const) {
          if (spec[key] !== undefined) yield { document: policy, path: [...path, key], at: 'key', message: `metered route "${route}" takes its cost in units from header ${spec.header}: ${key} never applies` };
        }
        continue;
      }
      if (spec.model === 'route') {
        for (const model of Object.keys(spec.prices ?? {}).filter((name) => name !== '*')) {
          yield { document: policy, path: [...path, 'prices', model], at: 'key', message: `metered route "${route}" prices every request at "*" (model: route): the price of "${model}" never applies` };
        }
      }
      if (typeof spec.usage !== 'object' || !('total' in spec.usage)) continue;
      for (const [model, price] of Object.entries(spec.prices ?? {})) {
        if (price.output !== price.input) {
          yield { document: policy, path: [...path, 'prices', model, 'output'], message: `metered route "${route}" reads a total of tokens, priced at the input rate: the output rate ${price.output} of "${model}" never applies (give input and output the same rate)` };
        }
      }
    }
  },
};
