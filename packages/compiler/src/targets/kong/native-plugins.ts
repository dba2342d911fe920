// Config of the Kong plugins Tollgate lowers to (Kong 3.x OSS schemas, kong/plugins/*/schema.lua).
import type { EngineConfig } from '../../engine-config.js';
import type { RequestRewrite } from '../../native/rewrite.js';
import { redisConnection, type GatewayCounters, type Windows } from '../../native/rate-limits.js';
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
    // Node memory for a memory store (one node); the policy's store.native Redis for a shared store.
    ...(counters.kind === 'local' ? { policy: 'local' } : { policy: 'redis', redis: redisConnection(counters.redis, config.store, kongVaultRef) }),
    fault_tolerant: config.store.onFailure !== 'closed',
    hide_client_headers: config.responses?.headers === 'none',
    error_code: 429,
    ...(config.responses?.messages?.['rate-limited'] === undefined ? {} : { error_message: config.responses.messages['rate-limited'] }),
  };
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
