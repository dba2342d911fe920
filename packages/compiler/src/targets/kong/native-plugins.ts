// Config of the Kong plugins Tollgate lowers to (Kong 3.x OSS schemas, kong/plugins/*/schema.lua).
import type { EngineConfig } from '../../engine-config.js';
import type { RequestRewrite } from '../../native/rewrite.js';
import type { GatewayCounters, Windows } from '../../native/rate-limits.js';
import { definedFields, isHostName, verifiesCertificate, type GatewayRedis, type RedisServer } from '../../native/redis.js';
import { kongVaultRef } from '../../secrets.js';

export function keyAuthConfig(identity: EngineConfig['identity'], anonymous: string): Record<string, unknown> {
  return {
    key_names: identity.keyNames,
    hide_credentials: identity.hideCredentials ?? false,
    ...(identity.anonymous === true ? { anonymous } : {}),
  };
}

const LIMIT_BY = { consumer: 'consumer', credential: 'credential', ip: 'ip', header: 'header' } as const;

export function rateLimitingConfig(windows: Windows, config: EngineConfig, counters: GatewayCounters): Record<string, unknown> {
  const { identity } = config;
  return {
    ...windows,
    limit_by: LIMIT_BY[identity.limitBy],
    ...(identity.limitBy === 'header' && identity.header !== undefined ? { header_name: identity.header } : {}),
    ...countersConfig(counters, config.store),
    fault_tolerant: config.store.onFailure !== 'closed',
    hide_client_headers: config.responses?.headers === 'none',
    error_code: 429,
    ...(config.responses?.messages?.['rate-limited'] === undefined ? {} : { error_message: config.responses.messages['rate-limited'] }),
  };
}

/** Node memory for a memory store (one node); the policy's store.native Redis for a shared store. */
function countersConfig(counters: GatewayCounters, store: EngineConfig['store']): Record<string, unknown> {
  if (counters.kind === 'local') return { policy: 'local' };
  if (counters.redis.kind === 'cluster') throw new Error('a Redis Cluster reached Kong rate-limiting: kongRedisBlockers keeps such windows in Tollgate');
  return { policy: 'redis', redis: redisRecord(counters.redis, store) };
}

/**
 * Kong's redis record (kong/tools/redis/schema.lua): one server, username and password as env
 * vault references; ssl_verify only when set, so Kong's default applies otherwise. The policy's
 * store timeout bounds each call.
 */
function redisRecord(redis: RedisServer, store: EngineConfig['store']): Record<string, unknown> {
  return definedFields({
    host: redis.host,
    port: redis.port,
    username: redis.username && kongVaultRef(redis.username),
    password: redis.password && kongVaultRef(redis.password),
    database: redis.database,
    ssl: redis.ssl,
    ssl_verify: redis.sslVerify,
    server_name: kongServerName(redis),
    timeout: store.timeoutMs,
  });
}

/**
 * redis.server_name: the policy's serverName, else the host when the certificate is verified.
 * OpenResty's TLS handshake checks the certificate's name only against a server name it is given,
 * so without one ssl_verify would accept a certificate a trusted CA issued for any host. An IP
 * address is not sent: certificates name hosts, and Kong then checks the chain alone.
 */
function kongServerName(redis: RedisServer): string | undefined {
  if (redis.serverName !== undefined) return redis.serverName;
  return verifiesCertificate(redis) && isHostName(redis.host) ? redis.host : undefined;
}

/** What Kong checks of the Redis certificate when the policy asks it to verify one, for explanations. */
export function kongCertificateCheck(redis: RedisServer): string | undefined {
  if (!verifiesCertificate(redis)) return undefined;
  const name = kongServerName(redis);
  if (name !== undefined) return `Kong verifies the certificate chain and that the certificate names ${name} (redis.server_name)`;
  return `Kong verifies the certificate chain only: host ${redis.host} is an IP address, so it has no name to check and accepts a certificate a trusted CA issued for any host; give store.native.serverName the name on the certificate to have it checked`;
}

/** Why Kong's rate-limiting cannot count in the policy's store.native: the windows then stay in Tollgate. */
export function kongRedisBlockers(redis: GatewayRedis): string[] {
  return redis.kind === 'cluster' ? ["Kong's rate-limiting counts in one Redis server (its redis record has no cluster nodes), and store.native names a Redis Cluster"] : [];
}

const pairs = (map: Readonly<Record<string, string>> | undefined): string[] => Object.entries(map ?? {}).map(([k, v]) => `${k}:${v}`);

/** Drops empty arrays and then empty records: Kong fills both with its defaults. */
function compact(record: Record<string, string[] | string | undefined>): Record<string, unknown> | undefined {
  const kept = Object.entries(record).filter(([, v]) => v !== undefined && v.length > 0);
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

/**
 * Kong applies remove → rename → replace → add → append. Tollgate's "set" is Kong's replace (when
 * present) plus add (when absent); the lowering is only used when no name is touched twice.
 */
export function requestTransformerConfig(request: RequestRewrite): Record<string, unknown> {
  const { headers, query } = request;
  const sections = {
    remove: compact({ headers: headers?.remove, querystring: query?.remove }),
    rename: compact({ headers: pairs(headers?.rename), querystring: pairs(query?.rename) }),
    replace: compact({ headers: pairs(headers?.set), uri: request.path }),
    add: compact({ headers: [...pairs(headers?.add), ...pairs(headers?.set)], querystring: pairs(query?.add) }),
  };
  return Object.fromEntries(Object.entries(sections).filter(([, v]) => v !== undefined));
}
