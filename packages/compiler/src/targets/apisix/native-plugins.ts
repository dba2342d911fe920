// Config of the APISIX plugins Tollgate lowers to; valid for APISIX 3.14 and 3.18 alike (no
// realm, window_type or rules, which older versions refuse).
import type { EngineConfig } from '../../engine-config.js';
import type { Upstream } from '../../ir/types.js';
import { redisConnection, WINDOW_SECONDS, type GatewayCounters, type Windows } from '../../native/rate-limits.js';
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

/** limit-count's flat redis_* fields (the same in 3.14 and 3.18). */
function redisFields(redis: NativeRedis, store: EngineConfig['store']): Record<string, unknown> {
  return Object.fromEntries(Object.entries(redisConnection(redis, store, apisixEnvRef)).map(([key, value]) => [`redis_${key}`, value]));
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
    ...(counters.kind === 'local' ? { policy: 'local' } : { policy: 'redis', ...redisFields(counters.redis, config.store) }),
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
