import type { Project } from '../load/load-project.js';
import { meteredEntries } from './metered-entries.js';
import type { Rule, RuleFinding } from './rule.js';

export const meteredSource: Rule = {
  id: 'metered-source',
  severity: 'error',
  description: 'A metered route reads its cost from exactly one place: a response header (header) or token usage (usage).',
  *check(project: Project): Iterable<RuleFinding> {
    for (const { route, spec, policy, path } of meteredEntries(project)) {
      if (spec.header !== undefined && spec.usage !== undefined) {
        yield { document: policy, path: [...path, 'usage'], at: 'key', message: `metered route "${route}" has both a cost header and a token usage: keep one` };
      } else if (spec.header === undefined && spec.usage === undefined) {
        yield { document: policy, path, at: 'key', message: `metered route "${route}" says nowhere where its cost comes from: add header (units the upstream states) or usage with prices (tokens)` };
      }
    }
  },
};
