// store.native's shape as the JSON Schema checks it: what each field accepts and how a wrong value
// is reported (which settings go together is lint rule store-connection's job, in rules.test.ts).
import { describe, expect, it } from 'vitest';
import { findings, KEY_AUTH, lintYaml, policy, ROUTES } from '../test-support/lint-yaml.js';

/** A redis-cluster store whose store.native is `native` (a flow mapping), on line 7. */
const withNative = (native: string) => ({ 'p.yaml': policy('p', [ROUTES, KEY_AUTH, `store: { kind: redis-cluster, nodes: { env: REDIS_NODES }, native: ${native} }`]) });

const NODE_RULE = 'is not valid: host:port, a host name or IPv4 address and a port 1-65535.';

describe('store.native accepts', () => {
  it.each([
    ['one server with every setting', '{ host: redis.internal, port: 6380, username: { env: REDIS_USER }, password: { env: REDIS_PASSWORD }, database: 2, ssl: true, sslVerify: false, serverName: cache.example.com }'],
    ['a cluster by seed nodes', '{ cluster: { nodes: [10.0.0.1:7000, redis-1.internal:65535, r:1] }, ssl: true, sslVerify: true }'],
    ['a named cluster', '{ cluster: { nodes: [redis-0.internal:6379], name: "sessions:eu-1" } }'],
  ])('%s', (_name, native) => {
    expect(findings(lintYaml(withNative(native)))).toEqual([]);
  });
});

describe('store.native rejects', () => {
  it.each([
    ['a node without a port', '{ cluster: { nodes: [redis.internal] } }', [`p.yaml:7:91 schema item 0 "redis.internal" ${NODE_RULE}`]],
    ['port 0 and a port above 65535', '{ cluster: { nodes: ["r1:0", "r2:65536"] } }', [`p.yaml:7:91 schema item 0 "r1:0" ${NODE_RULE}`, `p.yaml:7:99 schema item 1 "r2:65536" ${NODE_RULE}`]],
    ['an IPv6 node and a URL', '{ cluster: { nodes: ["[::1]:7000", "redis://r1:7000"] } }', [`p.yaml:7:91 schema item 0 "[::1]:7000" ${NODE_RULE}`, `p.yaml:7:105 schema item 1 "redis://r1:7000" ${NODE_RULE}`]],
    ['a node longer than APISIX allows', `{ cluster: { nodes: [${'r'.repeat(96)}:7000] } }`, ['p.yaml:7:91 schema item 0 must NOT have more than 100 characters']],
    ['no nodes', '{ cluster: { nodes: [] } }', ['p.yaml:7:90 schema "nodes" must NOT have fewer than 1 items']],
    ['the same node twice', '{ cluster: { nodes: [r1:7000, r1:7000] } }', ['p.yaml:7:90 schema "nodes" must NOT have duplicate items (items ## 1 and 0 are identical)']],
    ['an unknown cluster key', '{ cluster: { nodes: [r1:7000], ssl: true } }', ['p.yaml:7:101 unknown-key unknown key "ssl"; allowed: nodes, name']],
    ['a literal username', '{ host: redis.internal, username: default }', ['p.yaml:7:104 schema "username" must be object']],
    ['an IP address as server name', '{ host: redis.internal, ssl: true, serverName: 10.0.0.7 }', ['p.yaml:7:117 schema "serverName" "10.0.0.7" is not valid: SNI host name for the TLS handshake (with ssl; not an IP address). Kong only: APISIX\'s limit-count cannot send one, so on APISIX the windows stay in Tollgate.']],
    ['sslVerify as text', '{ host: redis.internal, ssl: true, sslVerify: "yes" }', ['p.yaml:7:116 schema "sslVerify" must be boolean']],
  ])('%s', (_name, native, expected) => {
    expect(findings(lintYaml(withNative(native)))).toEqual(expected);
  });
});
