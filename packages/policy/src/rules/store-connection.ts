import type { Located, Project } from '../load/load-project.js';
import type { NativeRedis, PolicyDocument } from '../schema/policy-schema.js';
import type { Rule, RuleFinding } from './rule.js';

export const storeConnection: Rule = {
  id: 'store-connection',
  severity: 'error',
  description:
    'A redis store needs url, a redis-cluster store needs nodes; the memory store needs neither, nor native (the gateway\'s Redis), which names one server (host) or a cluster with only the settings that apply to it.',
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
      if (store.native === undefined) continue;
      // A memory store means one node: the gateway's limiters count in their own memory too.
      if (store.kind === 'memory') {
        yield { document: policy, path: ['spec', 'store', 'native'], at: 'key', message: 'store.native is for redis stores: with a memory store the gateway counts in its own memory' };
      } else {
        yield* nativeRedisFindings(policy, store.native);
      }
    }
  },
};

/** store.native is one server or one cluster, and each setting must take effect on the connection it describes. */
function* nativeRedisFindings(policy: Located<PolicyDocument>, native: NativeRedis): Iterable<RuleFinding> {
  const at = (field: keyof NativeRedis, message: string): RuleFinding => ({ document: policy, path: ['spec', 'store', 'native', field], at: 'key', message });
  if (native.host !== undefined && native.cluster !== undefined) {
    yield at('cluster', 'store.native names one Redis server (host) or a Redis Cluster (cluster), not both');
  } else if (native.host === undefined && native.cluster === undefined) {
    yield { document: policy, path: ['spec', 'store', 'native'], at: 'key', message: 'store.native needs host (one Redis server) or cluster (the seed nodes of a Redis Cluster)' };
  } else if (native.cluster !== undefined) {
    if (native.port !== undefined) yield at('port', 'store.native.port is the port of host: each cluster node carries its own (host:port)');
    if (native.database !== undefined) yield at('database', 'a Redis Cluster has only database 0: remove store.native.database');
  }
  // Both gateways send AUTH only when there is a password; a username alone would be ignored.
  if (native.username !== undefined && native.password === undefined) {
    yield at('username', 'store.native.username is sent only together with a password: add store.native.password');
  }
  if (native.ssl !== true) {
    for (const field of ['sslVerify', 'serverName'] as const) {
      if (native[field] !== undefined) yield at(field, `store.native.${field} applies to TLS connections only: set store.native.ssl: true`);
    }
  }
}
