// The policy's store: the engine's Store (where Tollgate counts) and the Redis the gateway's own
// rate-limit plugins count in when fixed windows are lowered natively (NativeRedis).
import Type, { type Static } from 'typebox';
import { closed, described, EnvRef, Secret } from './schema-parts.js';

export const Store = Type.Object(
  {
    kind: Type.Enum(['memory', 'redis', 'redis-cluster']),
    url: Type.Optional(described(Secret, 'redis: connection URL (may hold a password: use an env reference).')),
    nodes: Type.Optional(described(Secret, 'redis-cluster: comma-separated host:port list.')),
    keyPrefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9:_-]{1,32}$' })),
    onFailure: Type.Optional(described(Type.Enum(['open', 'closed']), 'Store unreachable: allow (open) or 503 (closed). Default open.')),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Default 50.' })),
  },
  closed,
);
export type Store = Static<typeof Store>;

/** A TCP port, 1-65535, inside a host:port text. */
const PORT_TEXT = '(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';

const RedisClusterNode = Type.String({
  pattern: `^[A-Za-z0-9][A-Za-z0-9.-]*:${PORT_TEXT}$`,
  // APISIX's redis_cluster_nodes items are at most 100 characters.
  maxLength: 100,
  description: 'host:port, a host name or IPv4 address and a port 1-65535.',
});

export const NativeRedisCluster = Type.Object(
  {
    nodes: Type.Array(RedisClusterNode, { minItems: 1, uniqueItems: true, description: 'Seed nodes (host:port); the gateway learns the rest of the cluster from them.' }),
    name: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$',
        description:
          'APISIX\'s redis_cluster_name: the key of the slot map APISIX caches per cluster, so different clusters need different names. Default: the first seed node in sorted order.',
      }),
    ),
  },
  { ...closed, description: 'A Redis Cluster instead of one server (APISIX limit-count policy redis-cluster; Kong\'s rate-limiting has none, so on Kong the windows stay in Tollgate).' },
);
export type NativeRedisCluster = Static<typeof NativeRedisCluster>;

/**
 * The Redis the gateway's own rate-limit plugins count in when a redis store's fixed windows are
 * lowered natively. Separate from store.url because Kong's rate-limiting takes host and port as
 * literals (only username and password are referenceable) while the store URL is one environment
 * reference. One server (host) or a Redis Cluster (cluster): lint rule store-connection says which
 * settings go with which.
 */
export const NativeRedis = Type.Object(
  {
    host: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{1,252}$',
        description: 'One Redis server: host name or IPv4 address (a literal: Kong\'s redis.host is not referenceable). Give host or cluster, not both.',
      }),
    ),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535, description: 'Port of host. Default 6379.' })),
    cluster: Type.Optional(NativeRedisCluster),
    username: Type.Optional(
      described(EnvRef, 'Redis 6 ACL user, sent with the password. Resolved by the gateway itself: Kong env vault, APISIX $env://. APISIX\'s redis-cluster policy has none.'),
    ),
    password: Type.Optional(described(EnvRef, 'Resolved by the gateway itself: Kong env vault, APISIX $env://.')),
    database: Type.Optional(Type.Integer({ minimum: 0, description: 'Database of host. Default 0 (a Redis Cluster has only 0).' })),
    ssl: Type.Optional(described(Type.Boolean(), 'TLS to Redis. Default false.')),
    sslVerify: Type.Optional(
      described(
        Type.Boolean(),
        'Verify the server certificate (with ssl): its chain, whose issuer the gateway\'s trusted CAs must hold, and on Kong only also its name, serverName or else host when host is a name (not an IP address). APISIX\'s limit-count checks the chain alone. Default: the gateway\'s own, false in Kong 3.9 and APISIX 3.14/3.18 (Kong 3.15\'s Enterprise schema shows true).',
      ),
    ),
    serverName: Type.Optional(
      Type.String({
        pattern: '^(?![0-9.]+$)[A-Za-z0-9][A-Za-z0-9.-]{0,252}$',
        description: 'SNI host name for the TLS handshake (with ssl; not an IP address). Kong only: APISIX\'s limit-count cannot send one, so on APISIX the windows stay in Tollgate.',
      }),
    ),
  },
  { ...closed, description: 'Redis for the gateway\'s native rate limiting (Kong rate-limiting, APISIX limit-count); without it a redis store keeps rate limits in Tollgate.' },
);
export type NativeRedis = Static<typeof NativeRedis>;

/** The policy's store: the engine's Store plus what only the compiler reads (kept out of the EngineConfig). */
export const PolicyStore = Type.Object({ ...Store.properties, native: Type.Optional(NativeRedis) }, closed);
export type PolicyStore = Static<typeof PolicyStore>;
