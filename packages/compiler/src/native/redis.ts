// The Redis a gateway's own rate limiter counts in (the policy's store.native), resolved once for
// both targets: one server or a Redis Cluster, with Tollgate's defaults filled in. TLS
// verification and SNI stay unset unless the policy sets them, so each gateway keeps its own default.
import type { EnvRef, NativeRedis } from '@tollgate/policy';

export const DEFAULT_REDIS_PORT = 6379;

interface RedisSettings {
  readonly username?: EnvRef;
  readonly password?: EnvRef;
  readonly ssl: boolean;
  readonly sslVerify?: boolean;
  readonly serverName?: string;
}

export interface RedisServer extends RedisSettings {
  readonly kind: 'server';
  readonly host: string;
  readonly port: number;
  readonly database: number;
}

export interface RedisCluster extends RedisSettings {
  readonly kind: 'cluster';
  readonly nodes: readonly string[];
  readonly name: string;
}

export type GatewayRedis = RedisServer | RedisCluster;

/**
 * store.native as a server or a cluster; undefined when it names neither (lint's store-connection
 * refuses that, and both at once, where the cluster is taken).
 */
export function gatewayRedis(native: NativeRedis): GatewayRedis | undefined {
  const settings: RedisSettings = {
    ...(native.username ? { username: native.username } : {}),
    ...(native.password ? { password: native.password } : {}),
    ssl: native.ssl ?? false,
    ...(native.sslVerify === undefined ? {} : { sslVerify: native.sslVerify }),
    ...(native.serverName === undefined ? {} : { serverName: native.serverName }),
  };
  if (native.cluster) {
    const { nodes, name } = native.cluster;
    return { kind: 'cluster', nodes, name: name ?? defaultClusterName(nodes), ...settings };
  }
  if (native.host === undefined) return undefined;
  return { kind: 'server', host: native.host, port: native.port ?? DEFAULT_REDIS_PORT, database: native.database ?? 0, ...settings };
}

/**
 * A node belongs to one cluster, so its lowest seed node names a cluster apart from every other
 * one, whatever order the policy lists the nodes in.
 */
function defaultClusterName(nodes: readonly string[]): string {
  return [...nodes].sort()[0] ?? '';
}

/** TLS with certificate verification asked for; which names are then checked is up to each gateway. */
export function verifiesCertificate(redis: GatewayRedis): boolean {
  return redis.ssl && redis.sslVerify === true;
}

/**
 * Whether a host is a name a certificate can be checked against, by the rule of serverName's
 * pattern: digits and dots alone are an (IPv4) address, not a name.
 */
export function isHostName(host: string): boolean {
  return !/^[0-9.]+$/.test(host);
}

/** "redis at host:port" or "redis cluster at node, node", for explanations. */
export function describeRedis(redis: GatewayRedis): string {
  return redis.kind === 'server' ? `redis at ${redis.host}:${String(redis.port)}` : `redis cluster at ${redis.nodes.join(', ')}`;
}

/** The entries whose value is defined: gateway records leave out what falls back to the gateway's default. */
export function definedFields(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
