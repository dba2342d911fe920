// store.native on each gateway: the exact Redis settings Kong's rate-limiting and APISIX's
// limit-count get (standalone and ADC alike), and, for what a limiter cannot honour, the windows
// kept in Tollgate with the reason, plus lint's warning at the setting on APISIX. The emitted shapes
// are checked against the gateways' schemas by conformance-{kong,apisix}.test.ts through the
// compiler fixtures native-redis, native-redis-cluster and native-redis-sni.
import { loadProject, type Project } from '../packages/policy/src/index.js';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { checkTargets, compile, type PolicyExplanation } from '../packages/compiler/src/index.js';
import type { AdcDocument, StandaloneDocument } from '../packages/compiler/src/targets/apisix/model.js';
import type { KongDocument } from '../packages/compiler/src/targets/kong/model.js';
import { findings } from '../packages/policy/src/test-support/lint-yaml.js';

/** A policy with one fixed window; `native` is store.native as a flow mapping, on line 13. */
function project(native: string, store = 'kind: redis, url: { env: TOLLGATE_REDIS_URL }'): Project {
  const text = [
    'apiVersion: tollgate.dev/v1',
    'kind: Policy',
    'metadata: { name: orders-api }',
    'spec:',
    '  service: { name: orders, url: "http://orders.internal:8080" }',
    '  routes:',
    '    - { name: orders, paths: [/orders] }',
    '  identity: { auth: key-auth, limitBy: consumer }',
    '  plans:',
    '    basic: { rateLimit: { minute: 60 } }',
    '  defaultPlan: basic',
    `  store: { ${store}, timeoutMs: 75,`,
    `    native: ${native} }`,
    '',
  ].join('\n');
  const loaded = loadProject([{ path: 'orders.yaml', bytes: new TextEncoder().encode(text) }]);
  expect(loaded.diagnostics).toEqual([]);
  return loaded.project;
}

interface Compiled {
  /** The rate-limit plugin's config, if the gateway got one. */
  readonly limiter?: Record<string, unknown>;
  readonly explanation: PolicyExplanation;
}

function compileFor(gateway: 'kong' | 'apisix' | 'adc', policy: Project): Compiled {
  const result = gateway === 'kong' ? compile(policy, 'kong') : compile(policy, 'apisix', { mode: 'full', kongEdition: 'oss', apisixFormat: gateway === 'adc' ? 'adc' : 'standalone' });
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  const doc: unknown = parse(result.files[0]?.text ?? '', { version: '1.1' });
  const [explanation] = result.explanations;
  if (!explanation) throw new Error('no explanation');
  const limiter =
    gateway === 'kong'
      ? (doc as KongDocument).plugins?.find((p) => p.name === 'rate-limiting')?.config
      : (doc as StandaloneDocument | AdcDocument).services[0]?.plugins?.['limit-count'];
  return { ...(limiter ? { limiter } : {}), explanation };
}

/** The plugin fields that name the Redis: everything but the window, key and responses. */
function redisPart(limiter: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!limiter) return undefined;
  if ('redis' in limiter) return { policy: limiter.policy, redis: limiter.redis };
  return Object.fromEntries(Object.entries(limiter).filter(([key]) => key === 'policy' || key.startsWith('redis_')));
}

const tollgateReason = (explanation: PolicyExplanation): string | undefined => explanation.tollgate.find((t) => t.feature === 'rate limits of plan basic')?.detail;

const SERVER_DEFAULTS = '{ host: redis.internal }';
const SERVER_FULL = '{ host: redis.internal, port: 6380, username: { env: LIMITS_USER }, password: { env: LIMITS_PASSWORD }, database: 3, ssl: true, sslVerify: false, serverName: limits.example.com }';
const SERVER_TLS = '{ host: redis.internal, username: { env: LIMITS_USER }, password: { env: LIMITS_PASSWORD }, ssl: true, sslVerify: true }';
const CLUSTER = '{ cluster: { nodes: [r2.internal:7002, r1.internal:7001] }, password: { env: LIMITS_PASSWORD } }';
const CLUSTER_FULL = '{ cluster: { nodes: [r1.internal:7001], name: limits }, username: { env: LIMITS_USER }, password: { env: LIMITS_PASSWORD }, ssl: true, sslVerify: true }';
const CLUSTER_STORE = 'kind: redis-cluster, nodes: { env: TOLLGATE_REDIS_NODES }';

describe('Kong rate-limiting', () => {
  test.each([
    ['defaults', SERVER_DEFAULTS, { host: 'redis.internal', port: 6379, database: 0, ssl: false, timeout: 75 }],
    [
      'every setting, an explicit sslVerify false included',
      SERVER_FULL,
      {
        host: 'redis.internal',
        port: 6380,
        username: '{vault://env/limits-user}',
        password: '{vault://env/limits-password}',
        database: 3,
        ssl: true,
        ssl_verify: false,
        server_name: 'limits.example.com',
        timeout: 75,
      },
    ],
  ])('one server, %s', (_name, native, redis) => {
    expect(redisPart(compileFor('kong', project(native)).limiter)).toEqual({ policy: 'redis', redis });
  });

  test.each([
    ['seed nodes', CLUSTER],
    ['every cluster setting', CLUSTER_FULL],
  ])('a cluster (%s) keeps the window in Tollgate, which says why', (_name, native) => {
    const { limiter, explanation } = compileFor('kong', project(native, CLUSTER_STORE));
    expect(limiter).toBeUndefined();
    expect(tollgateReason(explanation)).toBe("Kong's rate-limiting counts in one Redis server (its redis record has no cluster nodes), and store.native names a Redis Cluster");
  });
});

describe.each(['apisix', 'adc'] as const)('APISIX limit-count (%s)', (format) => {
  test.each([
    ['defaults', SERVER_DEFAULTS, { policy: 'redis', redis_host: 'redis.internal', redis_port: 6379, redis_database: 0, redis_ssl: false, redis_timeout: 75 }],
    [
      'ACL user over verified TLS',
      SERVER_TLS,
      {
        policy: 'redis',
        redis_host: 'redis.internal',
        redis_port: 6379,
        redis_username: '$env://LIMITS_USER',
        redis_password: '$env://LIMITS_PASSWORD',
        redis_database: 0,
        redis_ssl: true,
        redis_ssl_verify: true,
        redis_timeout: 75,
      },
    ],
    [
      'a cluster named after its lowest seed node',
      CLUSTER,
      { policy: 'redis-cluster', redis_cluster_nodes: ['r2.internal:7002', 'r1.internal:7001'], redis_cluster_name: 'r1.internal:7001', redis_password: '$env://LIMITS_PASSWORD', redis_cluster_ssl: false, redis_timeout: 75 },
    ],
  ])('%s', (_name, native, fields) => {
    const store = native === CLUSTER ? CLUSTER_STORE : undefined;
    expect(redisPart(compileFor(format, project(native, store)).limiter)).toEqual(fields);
  });

  test.each([
    ['an SNI name', SERVER_FULL, undefined, "APISIX's limit-count cannot send an SNI server name (store.native.serverName)"],
    ['a username for a cluster', CLUSTER_FULL, CLUSTER_STORE, "APISIX's limit-count authenticates to a Redis Cluster with the password alone (store.native.username)"],
  ])('%s keeps the window in Tollgate, which says why', (_name, native, store, reason) => {
    const { limiter, explanation } = compileFor(format, project(native, store));
    expect(limiter).toBeUndefined();
    expect(tollgateReason(explanation)).toBe(reason);
  });
});

describe('lint warns where APISIX cannot honour a store.native setting', () => {
  test.each([
    ['an SNI name', SERVER_FULL, undefined, "orders.yaml:13:159 apisix-native-redis-setting APISIX's limit-count cannot send an SNI server name (store.native.serverName): on APISIX the policy's rate limits stay in Tollgate"],
    [
      'a username for a cluster',
      CLUSTER_FULL,
      CLUSTER_STORE,
      "orders.yaml:13:69 apisix-native-redis-setting APISIX's limit-count authenticates to a Redis Cluster with the password alone (store.native.username): on APISIX the policy's rate limits stay in Tollgate",
    ],
  ])('%s', (_name, native, store, finding) => {
    const policy = project(native, store);
    expect(findings(checkTargets(policy, ['apisix']))).toEqual([finding]);
    expect(checkTargets(policy, ['kong'])).toEqual([]);
  });

  test('settings limit-count honours draw no warning', () => {
    for (const [native, store] of [[SERVER_TLS, undefined], [CLUSTER, CLUSTER_STORE]] as const) expect(checkTargets(project(native, store), ['apisix'])).toEqual([]);
  });
});
