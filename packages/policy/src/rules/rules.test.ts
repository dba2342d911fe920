// One data table per rule: each case is a set of files and the exact findings of that rule
// (file:line:col, message). Every rule has at least one failing and one passing case.
import { describe, expect, it } from 'vitest';
import { findings, KEY_AUTH, lintYaml, policy, ROUTES, UPGRADE } from '../test-support/lint-yaml.js';
import { RULES } from './index.js';
import { METERED_CASES } from '../test-support/metered-rule-cases.js';

interface Case {
  readonly name: string;
  readonly files: Record<string, string>;
  readonly expected: readonly string[];
}

const plans = (lines: readonly string[]) => ['apiVersion: tollgate.dev/v1', 'kind: Plans', 'metadata: { name: cat }', 'spec:', '  plans:', ...lines.map((l) => `    ${l}`), ''].join('\n');
const consumers = (lines: readonly string[]) => ['apiVersion: tollgate.dev/v1', 'kind: Consumers', 'metadata: { name: people }', 'spec:', '  consumers:', ...lines.map((l) => `    ${l}`), ''].join('\n');

const cases: Record<string, readonly Case[]> = {
  'control-character': [
    { name: 'plain text', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'rewrite: { request: { headers: { set: { X-Plan: "{{plan}} tier" } } } }']) }, expected: [] },
    {
      name: 'CR LF in a header value, LF in a route path, ESC in a label key',
      files: {
        'p.yaml': policy('p', ['routes: [{ name: r1, paths: ["/a\\nb"], methods: [GET] }]', KEY_AUTH, 'rewrite: { request: { headers: { set: { X-Plan: "pro\\r\\nX-Admin: 1" } } } }']),
        'c.yaml': consumers(['- { name: ann, labels: { "t\\e": x } }']),
      },
      expected: [
        'c.yaml:6:30 control-character the key contains the control character U+001B: gateways would write it verbatim into names, paths, headers and their configuration files',
        'p.yaml:5:32 control-character the text contains the control character U+000A: gateways would write it verbatim into names, paths, headers and their configuration files',
        'p.yaml:7:51 control-character the text contains the control character U+000D: gateways would write it verbatim into names, paths, headers and their configuration files',
      ],
    },
  ],
  'unknown-reference': [
    { name: 'all references resolve', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'usePlans: cat', 'defaultPlan: free', 'costs: { routes: { r1: 2 } }']), 'c.yaml': plans(['free: { routes: [r1] }']) }, expected: [] },
    { name: 'unknown catalogue', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'usePlans: kat']), 'c.yaml': plans(['free: {}']) }, expected: ['p.yaml:7:13 unknown-reference no Plans document named "kat"; did you mean "cat"?'] },
    { name: 'unknown default plan', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'plans: { free: {} }', 'defaultPlan: fre']) }, expected: ['p.yaml:8:16 unknown-reference policy "p" has no plan "fre"; did you mean "free"?'] },
    { name: 'unknown cost route', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'costs: { routes: { r2: 2 } }']) }, expected: ['p.yaml:7:22 unknown-reference policy "p" has no route "r2"; did you mean "r1"?'] },
    { name: 'unknown metered route', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'costs: { metered: { r2: { estimate: 1, header: X-Cost } } }']) }, expected: ['p.yaml:7:23 unknown-reference policy "p" has no route "r2"; did you mean "r1"?'] },
    {
      name: 'catalogue plan grants a route a user lacks',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'usePlans: cat']), 'c.yaml': plans(['free: { routes: [r1, { route: r9, methods: [GET] }] }']) },
      expected: ['c.yaml:6:35 unknown-reference plan "free" grants route "r9", which policy "p" does not define; did you mean "r1"?'],
    },
    { name: 'consumer plan nobody defines', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'plans: { gold: {} }']), 'k.yaml': consumers(['- { name: ann, plan: gld }']) }, expected: ['k.yaml:6:26 unknown-reference no policy or catalogue defines plan "gld"; did you mean "gold"?'] },
  ],
  'duplicate-name': [
    { name: 'distinct names', files: { 'a.yaml': policy('a', [ROUTES, KEY_AUTH]), 'b.yaml': policy('b', ['routes: [{ name: r2, paths: [/b] }]', KEY_AUTH]) }, expected: [] },
    {
      name: 'same policy name and route name in two files',
      files: { 'a.yaml': policy('same', [ROUTES, KEY_AUTH]), 'b.yaml': policy('same', ['routes: [{ name: r1, paths: [/b] }]', KEY_AUTH]) },
      expected: ['b.yaml:3:19 duplicate-name Policy document "same" is already defined in a.yaml', 'b.yaml:5:20 duplicate-name route "r1" is already defined in a.yaml'],
    },
    {
      name: 'consumer twice, second document of a file',
      files: { 'k.yaml': `${consumers(['- { name: ann }'])}---\n${consumers(['- { name: ann }']).replace('name: people', 'name: others')}` },
      expected: ['k.yaml:13:15 duplicate-name consumer "ann" is already defined in k.yaml'],
    },
    { name: 'inline plan shadows catalogue plan', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'usePlans: cat', 'plans: { free: {} }']), 'c.yaml': plans(['free: {}']) }, expected: ['p.yaml:8:12 duplicate-name plan "free" is already defined in c.yaml'] },
  ],
  'route-overlap': [
    { name: 'disjoint paths', files: { 'a.yaml': policy('a', ['routes: [{ name: a1, paths: [/api] }]', KEY_AUTH]), 'b.yaml': policy('b', ['routes: [{ name: b1, paths: [/apps] }]', KEY_AUTH]) }, expected: [] },
    {
      name: 'a prefix overlaps a longer segment (gateways match plain prefixes)',
      files: { 'a.yaml': policy('a', ['routes: [{ name: a1, paths: [/api] }]', KEY_AUTH]), 'b.yaml': policy('b', ['routes: [{ name: b1, paths: [/apix] }]', KEY_AUTH]) },
      expected: ['b.yaml:5:32 route-overlap path /apix of route "b1" overlaps /api of route "a1" in policy "a"'],
    },
    { name: 'different methods', files: { 'a.yaml': policy('a', ['routes: [{ name: a1, paths: [/api], methods: [GET] }]', KEY_AUTH]), 'b.yaml': policy('b', ['routes: [{ name: b1, paths: [/api], methods: [POST] }]', KEY_AUTH]) }, expected: [] },
    {
      name: 'prefix overlap across policies',
      files: { 'a.yaml': policy('a', ['routes: [{ name: a1, paths: [/api] }]', KEY_AUTH]), 'b.yaml': policy('b', ['routes: [{ name: b1, paths: [/x, /api/v2], methods: [GET] }]', KEY_AUTH]) },
      expected: ['b.yaml:5:36 route-overlap path /api/v2 of route "b1" overlaps /api of route "a1" in policy "a"'],
    },
  ],
  'rate-limit-order': [
    { name: 'ascending limits', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'plans: { free: { rateLimit: { second: 1, minute: 60, day: 100 } } }']) }, expected: [] },
    { name: 'hour below minute', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'plans: { free: { rateLimit: { second: 5, minute: 100, hour: 50 } } }']) }, expected: ['p.yaml:7:63 rate-limit-order plan "free" allows 50 per hour, fewer than its 100 per minute'] },
  ],
  'quota-below-rate-window': [
    { name: 'quota above windows', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { rateLimit: { day: 100 }, quota: { requests: 1000, per: month } } }']) }, expected: [] },
    { name: 'one day admits more than the month', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { rateLimit: { day: 5000 }, quota: { requests: 1000, per: month } } }']) }, expected: ['p.yaml:8:65 quota-below-rate-window plan "free" allows 5000 requests in one day but only 1000 per month'] },
  ],
  'quota-amount': [
    { name: 'requests only', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { quota: { requests: 10, per: day } } }']) }, expected: [] },
    { name: 'neither', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { quota: { per: day } } }']) }, expected: ['p.yaml:8:20 quota-amount plan "free": the quota needs requests or units'] },
    { name: 'both', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { quota: { requests: 1, units: 2, per: day } } }']) }, expected: ['p.yaml:8:42 quota-amount plan "free": a quota has requests or units, not both'] },
  ],
  'quota-period': [
    { name: 'a week in Berlin', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { quota: { requests: 10, per: week, timeZone: Europe/Berlin } } }']) }, expected: [] },
    { name: 'lifetime', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { quota: { requests: 10, per: lifetime } } }']) }, expected: [] },
    {
      name: 'unknown time zone',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { quota: { requests: 10, per: day, timeZone: Europe/Atlantis } } }']) },
      expected: ['p.yaml:8:63 quota-period plan "free": unknown time zone "Europe/Atlantis" (an IANA name such as Europe/Berlin)'],
    },
    {
      name: 'time zone on an anchored period',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { quota: { requests: 10, per: month, anchor: subscription, timeZone: UTC } } }']) },
      expected: ['p.yaml:8:77 quota-period plan "free": periods anchored at the subscription start follow that instant, not a time zone; use anchor: calendar or drop timeZone'],
    },
    {
      name: 'time zone on a lifetime quota',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { quota: { requests: 10, per: lifetime, timeZone: UTC } } }']) },
      expected: ['p.yaml:8:58 quota-period plan "free": a lifetime quota never resets, a time zone means nothing to it'],
    },
  ],
  'refill-without-credits': [
    { name: 'refill with credits', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { credits: true, refill: { amount: 100, every: day } } }']) }, expected: [] },
    { name: 'refill for overage', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { quota: { requests: 5, per: day }, overage: credits, refill: { amount: 100, every: month } } }']) }, expected: [] },
    {
      name: 'refill without credits',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { free: { refill: { amount: 100, every: day } } }']) },
      expected: ['p.yaml:8:20 refill-without-credits plan "free" refills credits but never draws from them: add credits: true or overage: credits, or drop refill'],
    },
  ],
  'identity-spoofable': [
    { name: 'ip limits without auth', files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: none, limitBy: ip }', 'plans: { public: { rateLimit: { second: 1 } } }']) }, expected: [] },
    { name: 'consumer limits without auth', files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: none, limitBy: consumer }']) }, expected: ['p.yaml:6:36 identity-spoofable limitBy consumer needs an authentication method (identity.auth: key-auth)'] },
    {
      name: 'per-caller quota by header without auth',
      files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: none, limitBy: header, header: X-User }', UPGRADE, 'plans: { free: { quota: { requests: 5, per: day } } }']) },
      expected: ['p.yaml:6:21 identity-spoofable plans, quotas, credits or subscriptions per caller identified by header without authentication can be spoofed; use key-auth'],
    },
  ],
  'client-chosen-identity': [
    { name: 'limit by consumer', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'plans: { free: { rateLimit: { minute: 5 } } }']) }, expected: [] },
    { name: 'header without rate limits', files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: none, limitBy: header, header: X-Tenant }']) }, expected: [] },
    {
      name: 'rate limits by header without auth',
      files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: none, limitBy: header, header: X-Tenant }', 'plans: { free: { rateLimit: { minute: 5 } } }']) },
      expected: ['p.yaml:6:52 client-chosen-identity rate limits of plan "free" count per X-Tenant value, which the client chooses: a new value on every request escapes them; use key-auth or limitBy ip, unless a trusted proxy sets X-Tenant'],
    },
    {
      name: 'rate limits by header from a catalogue plan',
      files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: none, limitBy: header, header: X-Tenant }', 'usePlans: cat']), 'c.yaml': plans(['open: { rateLimit: { second: 2 } }']) },
      expected: ['p.yaml:6:52 client-chosen-identity rate limits of plan "open" count per X-Tenant value, which the client chooses: a new value on every request escapes them; use key-auth or limitBy ip, unless a trusted proxy sets X-Tenant'],
    },
    {
      name: 'header with key-auth',
      files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: key-auth, limitBy: header, header: X-Tenant }', 'plans: { free: { rateLimit: { minute: 5 } } }']) },
      expected: ['p.yaml:6:40 client-chosen-identity with key-auth, X-Tenant cannot split or widen limits: authenticated consumers count per consumer and callers without a key per client IP; use limitBy consumer (or ip)'],
    },
  ],
  'no-inline-secret': [
    { name: 'env references', files: { 'k.yaml': consumers(['- { name: ann, credentials: { keyAuth: [{ env: DECK_ANN_KEY }] } }']), 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: redis, url: "redis://cache:6379" }']) }, expected: [] },
    { name: 'literal API key', files: { 'k.yaml': consumers(['- { name: ann, credentials: { keyAuth: [s3cr3t] } }']) }, expected: ['k.yaml:6:45 no-inline-secret an API key of consumer "ann" is written inline; reference it from the environment instead ({ env: NAME })'] },
    { name: 'password in the store URL', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: redis, url: "redis://user:hunter2@cache:6379" }']) }, expected: ['p.yaml:7:30 no-inline-secret the store url holds a password and is written inline; reference it from the environment instead ({ env: NAME })'] },
  ],
  'payment-path-missing': [
    { name: 'links present', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'subscription: { required: true }', 'plans: { free: { quota: { requests: 5, per: day } } }']) }, expected: [] },
    {
      name: 'x402 offer is a way to pay',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'subscription: { required: true }', 'payment: { x402: { price: "0.01", asset: "0xa", network: "eip155:8453", payTo: "0xb", facilitator: "https://f.example.com" } }']) },
      expected: [],
    },
    {
      name: 'subscription, quota and credits with no links',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'subscription: { required: true }', 'plans: { free: { quota: { requests: 5, per: day } }, paid: { credits: true } }']) },
      expected: [
        'p.yaml:7:19 payment-path-missing a lapsed subscription answers 402 with no way to pay: set payment.billingUrl or payment.upgradeUrl, or an x402 offer',
        'p.yaml:8:20 payment-path-missing plan "free" running out of quota answers 402 with no way to pay: set payment.upgradeUrl or payment.topUpUrl, or an x402 offer',
        'p.yaml:8:64 payment-path-missing plan "paid" running out of credits answers 402 with no way to pay: set payment.topUpUrl, or an x402 offer',
      ],
    },
  ],
  'x402-offer-incomplete': [
    { name: 'complete', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'payment: { x402: { price: "0.01", asset: "0xa", network: "eip155:8453", payTo: "0xb", facilitator: "https://f.example.com" } }']) }, expected: [] },
    { name: 'missing payTo and facilitator', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'payment: { x402: { price: "0.01", asset: "0xa", network: "eip155:8453" } }']) }, expected: ['p.yaml:7:14 x402-offer-incomplete x402 offer is missing payTo, facilitator'] },
    {
      name: 'several options, a route price and upto, all complete',
      files: {
        'p.yaml': policy('p', [
          ROUTES,
          KEY_AUTH,
          'payment: { x402: { price: "0.01", payTo: "0xb", facilitator: "https://f.example.com", routes: { r1: "0.02" }, accepts: [{ asset: "0xa", network: "eip155:8453" }, { scheme: upto, maxPrice: "0.1", pricePerUnit: "0.001", asset: "0xa", network: "eip155:8453", extra: { facilitatorAddress: "0xf" } }] } }',
        ]),
      },
      expected: [],
    },
    {
      name: 'a price for no route, upto without the facilitator address or under its price',
      files: {
        'p.yaml': policy('p', [
          ROUTES,
          KEY_AUTH,
          'payment: { x402: { price: "0.01", payTo: "0xb", facilitator: "https://f.example.com", routes: { r2: "0.2" }, accepts: [{ asset: "0xa", network: "eip155:8453" }, { scheme: upto, maxPrice: "0.1", asset: "0xa", network: "eip155:8453" }] } }',
        ]),
      },
      expected: [
        'p.yaml:7:99 x402-offer-incomplete unknown route "r2"',
        'p.yaml:7:164 x402-offer-incomplete upto on EVM needs extra.facilitatorAddress (the address the facilitator\'s GET /supported gives for upto): clients sign it into the permit',
        'p.yaml:7:180 x402-offer-incomplete maxPrice 0.1 is below the price 0.2: upto never settles more than the client authorised',
      ],
    },
  ],
  'template-variable': [
    { name: 'known variables', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'rewrite: { request: { headers: { set: { X-Plan: "{{plan}}", X-Id: "{{ header.x-user-id }}" } } } }']) }, expected: [] },
    {
      name: 'unknown variable and unclosed braces',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'rewrite: { request: { headers: { set: { X-Plan: "{{plna}}" } }, query: { add: { a: "{{plan" } } } }']) },
      expected: ['p.yaml:7:51 template-variable unknown template variable {{plna}}; did you mean "plan"?', 'p.yaml:7:86 template-variable template has an unclosed {{'],
    },
  ],
  'identity-options': [
    { name: 'header identity', files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: key-auth, limitBy: header, header: X-Tenant }']) }, expected: [] },
    { name: 'limitBy header without a header', files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: key-auth, limitBy: header }']) }, expected: ['p.yaml:6:40 identity-options limitBy header needs identity.header, the header that identifies the caller'] },
    { name: 'key-auth options without key-auth', files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: none, limitBy: ip, keyNames: [k] }']) }, expected: ['p.yaml:6:40 identity-options identity.keyNames needs auth: key-auth'] },
  ],
  'store-connection': [
    { name: 'redis with url', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: redis, url: { env: REDIS_URL } }']) }, expected: [] },
    { name: 'redis with the gateway\'s own Redis', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: redis, url: { env: REDIS_URL }, native: { host: redis.internal, password: { env: REDIS_PASSWORD } } }']) }, expected: [] },
    {
      name: 'the gateway\'s own Redis with every server setting',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: redis, url: { env: REDIS_URL }, native: { host: redis.internal, port: 6380, username: { env: REDIS_USER }, password: { env: REDIS_PASSWORD }, database: 1, ssl: true, sslVerify: true, serverName: redis.example.com } }']) },
      expected: [],
    },
    {
      name: 'the gateway\'s own Redis Cluster',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: redis-cluster, nodes: { env: REDIS_NODES }, native: { cluster: { nodes: [r1.internal:7000, r2.internal:7001] }, password: { env: REDIS_PASSWORD }, ssl: true } }']) },
      expected: [],
    },
    {
      name: 'native host and cluster together',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: redis, url: { env: REDIS_URL }, native: { host: redis.internal, cluster: { nodes: [r1.internal:7000] } } }']) },
      expected: ['p.yaml:7:82 store-connection store.native names one Redis server (host) or a Redis Cluster (cluster), not both'],
    },
    {
      name: 'native with neither host nor cluster',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: redis, url: { env: REDIS_URL }, native: { password: { env: REDIS_PASSWORD } } }']) },
      expected: ['p.yaml:7:50 store-connection store.native needs host (one Redis server) or cluster (the seed nodes of a Redis Cluster)'],
    },
    {
      name: 'server settings on a cluster',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: redis, url: { env: REDIS_URL }, native: { cluster: { nodes: [r1.internal:7000] }, port: 7000, database: 1 } }']) },
      expected: [
        'p.yaml:7:100 store-connection store.native.port is the port of host: each cluster node carries its own (host:port)',
        'p.yaml:7:112 store-connection a Redis Cluster has only database 0: remove store.native.database',
      ],
    },
    {
      name: 'username without a password, TLS settings without TLS',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: redis, url: { env: REDIS_URL }, native: { host: redis.internal, username: { env: REDIS_USER }, sslVerify: true, serverName: redis.example.com } }']) },
      expected: [
        'p.yaml:7:82 store-connection store.native.username is sent only together with a password: add store.native.password',
        'p.yaml:7:113 store-connection store.native.sslVerify applies to TLS connections only: set store.native.ssl: true',
        'p.yaml:7:130 store-connection store.native.serverName applies to TLS connections only: set store.native.ssl: true',
      ],
    },
    { name: 'native Redis on a memory store', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: memory, native: { host: redis.internal } }']) }, expected: ['p.yaml:7:26 store-connection store.native is for redis stores: with a memory store the gateway counts in its own memory'] },
    { name: 'redis-cluster without nodes', files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'store: { kind: redis-cluster, url: { env: REDIS_URL } }']) }, expected: ['p.yaml:7:18 store-connection a redis-cluster store needs store.nodes', 'p.yaml:7:33 store-connection store.url is not used by a redis-cluster store'] },
  ],
  'usage-endpoint-unreachable': [
    { name: 'under a GET route', files: { 'p.yaml': policy('p', ['routes: [{ name: r1, paths: [/v1], methods: [GET] }]', KEY_AUTH, 'usageEndpoint: /v1/usage']) }, expected: [] },
    { name: 'attached to an existing route by name', files: { 'p.yaml': policy('p', ['routes: [{ name: r1 }]', KEY_AUTH, 'usageEndpoint: /v1/usage']) }, expected: [] },
    {
      name: 'outside every route',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'usageEndpoint: /v1/usage']) },
      expected: ['p.yaml:7:18 usage-endpoint-unreachable usageEndpoint /v1/usage is under no GET route of this policy (paths /a): no gateway would route it to Tollgate; add it (or a prefix of it) to a route\'s paths'],
    },
    {
      name: 'under a POST-only route',
      files: { 'p.yaml': policy('p', ['routes: [{ name: r1, paths: [/v1], methods: [POST] }]', KEY_AUTH, 'usageEndpoint: /v1/usage']) },
      expected: ['p.yaml:7:18 usage-endpoint-unreachable usageEndpoint /v1/usage is under no GET route of this policy (paths /v1): no gateway would route it to Tollgate; add it (or a prefix of it) to a route\'s paths'],
    },
  ],
  'notification-thresholds': [
    {
      name: 'crossable thresholds, https',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, UPGRADE, 'plans: { pro: { quota: { requests: 10, per: month }, overage: credits } }', 'notifications: { url: "https://hooks.example.com", secret: { env: HOOK_SECRET }, thresholds: { quotaPercent: [50], creditsBelow: 5 } }']) },
      expected: [],
    },
    {
      name: 'no quota, no credits, plain http',
      files: { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'plans: { free: { rateLimit: { minute: 5 } } }', 'notifications: { url: "http://hooks.example.com", secret: { env: HOOK_SECRET }, thresholds: { quotaPercent: [50], creditsBelow: 5 } }']) },
      expected: [
        'p.yaml:8:25 notification-thresholds the webhook URL is plain http: the signature proves who sent an event, but anyone on the way can read it; use https',
        'p.yaml:8:97 notification-thresholds no plan of this policy has a quota: notifications.thresholds.quotaPercent never fires',
        'p.yaml:8:117 notification-thresholds no plan of this policy draws credits (credits: true or overage: credits): notifications.thresholds.creditsBelow never fires',
      ],
    },
  ],
  'anonymous-without-offer': [
    { name: 'anonymous with x402', files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: key-auth, limitBy: consumer, anonymous: true }', 'payment: { x402: { price: "1", asset: "a", network: "eip155:1", payTo: "b", facilitator: "https://f.example.com" } }']) }, expected: [] },
    { name: 'anonymous without x402', files: { 'p.yaml': policy('p', [ROUTES, 'identity: { auth: key-auth, limitBy: consumer, anonymous: true }']) }, expected: ['p.yaml:6:61 anonymous-without-offer anonymous callers are let through but there is no payment.x402 offer for them'] },
  ],
};

describe.each(RULES.map((rule) => [rule.id, rule] as const))('rule %s', (id) => {
  const table = cases[id] ?? METERED_CASES[id] ?? [];

  it('has a failing and a passing case', () => {
    expect(table.some((c) => c.expected.length > 0)).toBe(true);
    expect(table.some((c) => c.expected.length === 0)).toBe(true);
  });

  it.each(table.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(findings(lintYaml(c.files), id)).toEqual(c.expected);
  });
});
