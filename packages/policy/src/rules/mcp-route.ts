import type { Project } from '../load/load-project.js';
import { didYouMean } from '../load/suggest.js';
import type { Rule, RuleFinding } from './rule.js';

export const mcpRoute: Rule = {
  id: 'mcp-route',
  severity: 'error',
  description:
    'Every costs.mcp entry names a route of the policy that accepts POST (MCP messages travel by POST, so prices elsewhere never apply) and is not metered as well (costs.metered: one cost per request).',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const { spec } = policy.value;
      for (const name of Object.keys(spec.costs?.mcp ?? {})) {
        const path = ['spec', 'costs', 'mcp', name];
        const route = spec.routes.find((r) => r.name === name);
        if (route === undefined) {
          const names = spec.routes.map((r) => r.name);
          yield { document: policy, path, at: 'key', message: `policy "${policy.value.metadata.name}" has no route "${name}"${didYouMean(name, names)}` };
        } else if (route.methods !== undefined && !route.methods.includes('POST')) {
          yield { document: policy, path, at: 'key', message: `route "${name}" does not accept POST, which carries every MCP message: these prices never apply; add POST to its methods` };
        } else if (spec.costs?.metered !== undefined && Object.hasOwn(spec.costs.metered, name)) {
          yield { document: policy, path, at: 'key', message: `route "${name}" is metered (costs.metered) and priced per MCP call (costs.mcp): a request has one cost, so give the route one of them` };
        }
      }
    }
  },
};
