import type { Project } from '../load/load-project.js';
import { didYouMean } from '../load/suggest.js';
import { MCP_CLIENT_METHODS } from '../schema/policy-schema.js';
import type { Rule, RuleFinding } from './rule.js';

const KNOWN: ReadonlySet<string> = new Set(MCP_CLIENT_METHODS);

export const mcpMethod: Rule = {
  id: 'mcp-method',
  severity: 'warn',
  description: 'A method priced in costs.mcp.<route>.methods is one an MCP client sends (a misspelt one prices nothing).',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      for (const [route, prices] of Object.entries(policy.value.spec.costs?.mcp ?? {})) {
        for (const method of Object.keys(prices.methods ?? {})) {
          if (KNOWN.has(method)) continue;
          yield {
            document: policy,
            path: ['spec', 'costs', 'mcp', route, 'methods', method],
            at: 'key',
            message: `"${method}" is not a method MCP clients send (revision 2025-11-25): its price applies only if the server defines it${didYouMean(method, MCP_CLIENT_METHODS)}`,
          };
        }
      }
    }
  },
};
