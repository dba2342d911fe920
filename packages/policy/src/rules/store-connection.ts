import type { Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';

export const storeConnection: Rule = {
  id: 'store-connection',
  severity: 'error',
  description: 'A redis store needs url, a redis-cluster store needs nodes; the memory store needs neither, nor native (the gateway\'s Redis).',
  *check(project: Project): Iterable<RuleFinding> {
    for (const policy of project.policies) {
      const store = policy.value.spec.store;
      if (!store) continue;
      const needed = store.kind === 'redis' ? 'url' : store.kind === 'redis-cluster' ? 'nodes' : undefined;
      if (needed !== undefined && store[needed] === undefined) {
        yield { document: policy, path: ['spec', 'store', 'kind'], message: `a ${store.kind} store needs store.${needed}` };
      }
      for (const field of ['url', 'nodes'] as const) {
        if (field !== needed && store[field] !== undefined) {
          yield { document: policy, path: ['spec', 'store', field], at: 'key', message: `store.${field} is not used by a ${store.kind} store` };
        }
      }
      // A memory store means one node: the gateway's limiters count in their own memory too.
      if (store.kind === 'memory' && store.native !== undefined) {
        yield { document: policy, path: ['spec', 'store', 'native'], at: 'key', message: 'store.native is for redis stores: with a memory store the gateway counts in its own memory' };
      }
    }
  },
};
