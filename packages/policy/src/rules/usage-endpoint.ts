import type { Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';

/**
 * The gateway reaches the engine only on the policy's routes: the usage endpoint answers only
 * where one of them matches it (its paths are prefixes on both gateways) for GET. A route
 * attached by name (no paths) may match it in the gateway: that is the operator's to check.
 */
export const usageEndpointUnreachable: Rule = {
  id: 'usage-endpoint-unreachable',
  severity: 'error',
  description: 'The usage endpoint must lie under a path of one of the policy\'s routes that accepts GET, or no gateway ever routes a request for it to Tollgate.',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const { usageEndpoint, routes } = policy.value.spec;
      if (usageEndpoint === undefined) continue;
      const attached = routes.some((route) => route.paths === undefined);
      const matching = routes.some(
        (route) => (route.methods === undefined || route.methods.includes('GET')) && (route.paths ?? []).some((prefix) => usageEndpoint.startsWith(prefix)),
      );
      if (matching || attached) continue;
      const paths = routes.flatMap((route) => route.paths ?? []);
      yield {
        document: policy,
        path: ['spec', 'usageEndpoint'],
        message: `usageEndpoint ${usageEndpoint} is under no GET route of this policy (paths ${paths.join(', ')}): no gateway would route it to Tollgate; add it (or a prefix of it) to a route's paths`,
      };
    }
  },
};
