// Config of the APISIX plugins Tollgate lowers to; valid for APISIX 3.14 and 3.18 alike (no
// realm, window_type or rules, which older versions refuse).
import type { EngineConfig } from '../../engine-config.js';
import type { Upstream } from '../../ir/types.js';
import { WINDOW_SECONDS, type GatewayCounters, type Windows } from '../../native/rate-limits.js';
import { definedFields, verifiesCertificate, type GatewayRedis } from '../../native/redis.js';
import type { RequestRewrite } from '../../native/rewrite.js';
import { apisixEnvRef } from '../../secrets.js';
import type { NativeRedis, RateWindow, Route } from '@tollgate/policy';
import { ANONYMOUS_CONSUMER } from './model.js';

export function keyAuthConfig(identity: EngineConfig['identity']): Record<string, unknown> {
  const [name = 'apikey'] = identity.keyNames ?? [];
  return {
    header: name,
    // Kong's key-auth also reads the key from the query string under the same name.
    query: name,
    hide_credentials: identity.hideCredentials ?? false,
    ...(identity.anonymous === true ? { anonymous_consumer: ANONYMOUS_CONSUMER } : {}),
  };
}

/** The nginx variable that names the caller: consumer_name after key-auth, the client address, or a header. */
export function limitKey(identity: EngineConfig['identity']): string | undefined {
  switch (identity.limitBy) {
    case 'consumer':
      return 'consumer_name';
    case 'ip':
      return 'remote_addr';
    case 'header':
      return `http_${(identity.header ?? '').toLowerCase().replace(/-/g, '_')}`;
    case 'credential':
      return undefined;
  }
}

/**
 * limit-count's flat fields for policy redis (one server) or redis-cluster, the same in 3.14 and
 * 3.18; TLS verification only when set, so APISIX's default applies otherwise. The policy's store
 * timeout bounds each call.
 */
function redisFields(redis: GatewayRedis, store: EngineConfig['store']): Record<string, unknown> {
  const password = redis.password && apisixEnvRef(redis.password);
  if (redis.kind === 'cluster') {
    return definedFields({
      policy: 'redis-cluster',
      redis_cluster_nodes: [...redis.nodes],
      redis_cluster_name: redis.name,
      redis_password: password,
      redis_cluster_ssl: redis.ssl,
      redis_cluster_ssl_verify: redis.sslVerify,
      redis_timeout: store.timeoutMs,
    });
  }
  return definedFields({
    policy: 'redis',
    redis_host: redis.host,
    redis_port: redis.port,
    redis_username: redis.username && apisixEnvRef(redis.username),
    redis_password: password,
    redis_database: redis.database,
    redis_ssl: redis.ssl,
    redis_ssl_verify: redis.sslVerify,
    redis_timeout: store.timeoutMs,
  });
}

/** A store.native setting limit-count has no field for, and why that matters. */
export interface UnsupportedRedisSetting {
  readonly field: keyof NativeRedis;
  readonly reason: string;
}

/**
 * What limit-count (3.14, 3.18) cannot honour in the policy's store.native: it would connect
 * without it, so the windows stay in Tollgate, and lint warns at the setting.
 */
export function unsupportedRedisSettings(redis: GatewayRedis): UnsupportedRedisSetting[] {
  const unsupported: UnsupportedRedisSetting[] = [];
  if (redis.serverName !== undefined) unsupported.push({ field: 'serverName', reason: "APISIX's limit-count cannot send an SNI server name (store.native.serverName)" });
  if (redis.kind === 'cluster' && redis.username !== undefined) {
    unsupported.push({ field: 'username', reason: "APISIX's limit-count authenticates to a Redis Cluster with the password alone (store.native.username)" });
  }
  return unsupported;
}

/**
 * What limit-count checks of the Redis certificate when the policy asks it to verify one, for
 * explanations: it passes no server name to OpenResty's TLS handshake, which checks a name only
 * when given one.
 */
export function limitCountCertificateCheck(redis: GatewayRedis): string | undefined {
  if (!verifiesCertificate(redis)) return undefined;
  return 'limit-count verifies the certificate chain only, not the host name: it sends the TLS handshake no server name to check, so it accepts a certificate a trusted CA issued for any host';
}

export function limitCountConfig(windows: Windows, key: string, group: string, config: EngineConfig, counters: GatewayCounters): Record<string, unknown> {
  const [window, count] = Object.entries(windows)[0] as [RateWindow, number];
  const message = config.responses?.messages?.['rate-limited'];
  return {
    count,
    time_window: WINDOW_SECONDS[window],
    key_type: 'var',
    key,
    // Always explicit: APISIX's schema requires redis fields when policy is absent and read by plain JSON Schema.
    ...(counters.kind === 'local' ? { policy: 'local' } : redisFields(counters.redis, config.store)),
    rejected_code: 429,
    ...(message === undefined ? {} : { rejected_msg: message }),
    // One counter for all the policy's routes, as Tollgate counts per policy.
    group,
    show_limit_quota_header: config.responses?.headers !== 'none',
    allow_degradation: config.store.onFailure !== 'closed',
  };
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * proxy-rewrite's part of the upstream path: Kong prepends the service URL's path and may strip the
 * matched prefix; APISIX upstreams have no path, so both become a regex_uri (or the rewrite's uri).
 */
export function upstreamPath(route: Route, upstream: Upstream, rewrittenPath: string | undefined): Record<string, unknown> {
  if (rewrittenPath !== undefined) return { uri: rewrittenPath };
  if (route.stripPath === true) {
    return { regex_uri: (route.paths ?? []).flatMap((p) => [`^${escapeRegex(p.replace(/\/$/, ''))}/?(.*)`, `${upstream.path}/$1`]) };
  }
  return upstream.path === '' ? {} : { regex_uri: ['^(/.*)', `${upstream.path}$1`] };
}

/** APISIX's set and remove (its add appends a value, unlike Tollgate's add-when-absent). */
export function headerOps(request: RequestRewrite): Record<string, unknown> {
  const { set, remove } = request.headers ?? {};
  return {
    ...(set && Object.keys(set).length > 0 ? { set } : {}),
    ...(remove && remove.length > 0 ? { remove } : {}),
  };
}
