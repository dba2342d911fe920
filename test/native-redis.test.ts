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

const FIXED_WINDOW = '{ rateLimit: { minute: 60 } }';

/**
 * A policy whose plan basic is `plan` (one fixed window unless given); `native` is store.native as
 * a flow mapping, on line 13, or absent.
 */
function project(native: string | undefined, store = 'kind: redis, url: { env: TOLLGATE_REDIS_URL }', plan = FIXED_WINDOW): Project {
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
    `    basic: ${plan}`,
    '  defaultPlan: basic',
    `  store: { ${store}, timeoutMs: 75${native === undefined ? ' }' : ','}`,
    ...(native === undefined ? [] : [`    native: ${native} }`]),
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
const certificateCheck = (explanation: PolicyExplanation): string | undefined => explanation.native.find((n) => n.feature === 'Redis TLS')?.detail;

const SERVER_DEFAULTS = '{ host: redis.internal }';
const SERVER_FULL = '{ host: redis.internal, port: 6380, username: { env: LIMITS_USER }, password: { env: LIMITS_PASSWORD }, database: 3, ssl: true, sslVerify: false, serverName: limits.example.com }';
const SERVER_TLS = '{ host: redis.internal, username: { env: LIMITS_USER }, password: { env: LIMITS_PASSWORD }, ssl: true, sslVerify: true }';
const CLUSTER = '{ cluster: { nodes: [r2.internal:7002, r1.internal:7001] }, password: { env: LIMITS_PASSWORD } }';
const CLUSTER_FULL = '{ cluster: { nodes: [r1.internal:7001], name: limits }, username: { env: LIMITS_USER }, password: { env: LIMITS_PASSWORD }, ssl: true, sslVerify: true }';
const CLUSTER_STORE = 'kind: redis-cluster, nodes: { env: TOLLGATE_REDIS_NODES }';
const SERVER_IP_TLS = '{ host: 10.20.0.15, ssl: true, sslVerify: true }';
const SNI = '{ host: redis.internal, ssl: true, serverName: limits.example.com }';

test('without store.native a redis store keeps the windows in Tollgate, which names both ways to set it', () => {
  for (const gateway of ['kong', 'apisix'] as const) {
    expect(tollgateReason(compileFor(gateway, project(undefined)).explanation)).toContain(
      "give store.native a host and port, or a Redis Cluster's seed nodes in cluster.nodes (APISIX only)",
    );
  }
});

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

  test('verified TLS to a host name sends the host as server_name, so Kong checks the certificate names it', () => {
    const { limiter, explanation } = compileFor('kong', project(SERVER_TLS));
    expect(redisPart(limiter)).toEqual({
      policy: 'redis',
      redis: {
        host: 'redis.internal',
        port: 6379,
        username: '{vault://env/limits-user}',
        password: '{vault://env/limits-password}',
        database: 0,
        ssl: true,
        ssl_verify: true,
        server_name: 'redis.internal',
        timeout: 75,
      },
    });
    expect(certificateCheck(explanation)).toBe('Kong verifies the certificate chain and that the certificate names redis.internal (redis.server_name)');
  });

  test('verified TLS checks the policy\'s serverName rather than the host', () => {
    const { limiter, explanation } = compileFor('kong', project('{ host: 10.20.0.15, ssl: true, sslVerify: true, serverName: limits.example.com }'));
    expect(limiter?.redis).toMatchObject({ host: '10.20.0.15', ssl_verify: true, server_name: 'limits.example.com' });
    expect(certificateCheck(explanation)).toBe('Kong verifies the certificate chain and that the certificate names limits.example.com (redis.server_name)');
  });

  test('verified TLS to an IP address checks the chain alone, and the explanation says so', () => {
    const { limiter, explanation } = compileFor('kong', project(SERVER_IP_TLS));
    expect(redisPart(limiter)).toEqual({ policy: 'redis', redis: { host: '10.20.0.15', port: 6379, database: 0, ssl: true, ssl_verify: true, timeout: 75 } });
    expect(certificateCheck(explanation)).toBe(
      'Kong verifies the certificate chain only: host 10.20.0.15 is an IP address, so it has no name to check and accepts a certificate a trusted CA issued for any host; give store.native.serverName the name on the certificate to have it checked',
    );
  });

  test.each([
    ['unverified TLS', '{ host: redis.internal, ssl: true, sslVerify: false }'],
    ['TLS with the gateway\'s default verification', '{ host: redis.internal, ssl: true }'],
  ])('%s sends no server name of its own and explains no certificate check', (_name, native) => {
    const { limiter, explanation } = compileFor('kong', project(native));
    expect(limiter?.redis).not.toHaveProperty('server_name');
    expect(certificateCheck(explanation)).toBeUndefined();
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
    ['one server', SERVER_TLS, undefined],
    ['a cluster', CLUSTER_FULL.replace('username: { env: LIMITS_USER }, ', ''), CLUSTER_STORE],
  ])('verified TLS to %s checks the chain alone, and the explanation says so', (_name, native, store) => {
    const { limiter, explanation } = compileFor(format, project(native, store));
    expect(limiter).toBeDefined();
    expect(certificateCheck(explanation)).toBe(
      'limit-count verifies the certificate chain only, not the host name: it sends the TLS handshake no server name to check, so it accepts a certificate a trusted CA issued for any host',
    );
  });

  test('unverified TLS explains no certificate check', () => {
    expect(certificateCheck(compileFor(format, project('{ host: redis.internal, ssl: true }')).explanation)).toBeUndefined();
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

  test.each([
    ['a policy without rate limits', '{ quota: { requests: 1000, per: month } }'],
    ['sliding windows, which stay in Tollgate anyway', '{ rateLimit: { minute: 60, window: sliding } }'],
    ['two windows, which limit-count cannot hold', '{ rateLimit: { second: 5, minute: 60 } }'],
  ])('an unsupported setting draws no warning for %s', (_name, plan) => {
    expect(checkTargets(project(SNI, undefined, plan), ['apisix'])).toEqual([]);
  });

  test('an unsupported setting draws the warning when it alone keeps the fixed window in Tollgate', () => {
    expect(findings(checkTargets(project(SNI), ['apisix']))).toEqual([
      "orders.yaml:13:48 apisix-native-redis-setting APISIX's limit-count cannot send an SNI server name (store.native.serverName): on APISIX the policy's rate limits stay in Tollgate",
    ]);
  });
});
