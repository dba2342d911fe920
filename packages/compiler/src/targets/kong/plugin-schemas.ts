// Strict renderings of the Kong 3.x plugin schemas Tollgate emits (Kong/kong kong/plugins/*/schema.lua):
// closed records, exclusive bounds and the entity checks the docs-site JSON leaves out.
import type { Fields } from '../../check/record.js';
import { KONG_LUA_PLUGIN } from '../lua-adapter.js';
import { TOLLGATE_PLUGINS } from './model.js';

/** Kong's header_name typedef as rate-limiting and key-auth apply it. */
export const KONG_HEADER_NAME = /^[A-Za-z0-9_-]+$/;
const positive = { type: 'number', gt: 0 } as const;
const strings = { type: 'strings' } as const;
/** "name:value" with a header name and a non-empty value (Kong rejects "name:"). */
const headerPair = { type: 'strings', item: /^[A-Za-z0-9_-]+:.+$/ } as const;
const queryPair = { type: 'strings', item: /^[^:]+:.+$/ } as const;
const headerNames = { type: 'strings', item: KONG_HEADER_NAME } as const;

export const RATE_LIMIT_PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;

/** Kong's shared redis record (kong/tools/redis/schema.lua, 3.6+); only username and password are referenceable. */
const REDIS_FIELDS: Fields = {
  host: { type: 'string', pattern: /^[A-Za-z0-9][A-Za-z0-9.-]*$/ },
  port: { type: 'number', integer: true, min: 0, max: 65_535 },
  timeout: { type: 'number', integer: true, min: 0, max: 2_147_483_646 },
  username: { type: 'string' },
  password: { type: 'string' },
  database: { type: 'number', integer: true },
  ssl: { type: 'boolean' },
  ssl_verify: { type: 'boolean' },
  server_name: { type: 'string' },
};

export function rateLimitingFields(edition: 'oss' | 'enterprise'): Fields {
  return {
    second: positive,
    minute: positive,
    hour: positive,
    day: positive,
    month: positive,
    year: positive,
    limit_by: { type: 'string', enum: ['consumer', 'credential', 'ip', 'service', 'header', 'path', ...(edition === 'enterprise' ? ['consumer-group'] : [])] },
    header_name: { type: 'string', pattern: KONG_HEADER_NAME },
    path: { type: 'string', pattern: /^\/(?!.*\/\/)/ },
    // DB-less and hybrid control planes offer no "cluster"; Tollgate never needs it.
    policy: { type: 'string', enum: ['local', 'redis'] },
    fault_tolerant: { type: 'boolean' },
    hide_client_headers: { type: 'boolean' },
    error_code: positive,
    error_message: { type: 'string' },
    sync_rate: { type: 'number' },
    redis: { type: 'record', fields: REDIS_FIELDS },
  };
}

export const KEY_AUTH_FIELDS: Fields = {
  key_names: { type: 'strings', item: KONG_HEADER_NAME, minItems: 1 },
  hide_credentials: { type: 'boolean' },
  anonymous: { type: 'string', minLength: 1 },
  key_in_header: { type: 'boolean' },
  key_in_query: { type: 'boolean' },
  key_in_body: { type: 'boolean' },
  run_on_preflight: { type: 'boolean' },
  realm: { type: 'string' },
};

export const REQUEST_TRANSFORMER_FIELDS: Fields = {
  http_method: { type: 'string', pattern: /^[A-Z]+$/ },
  remove: { type: 'record', fields: { headers: headerNames, querystring: strings, body: strings } },
  rename: { type: 'record', fields: { headers: { type: 'strings', item: /^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/ }, querystring: queryPair, body: queryPair } },
  replace: { type: 'record', fields: { headers: headerPair, querystring: queryPair, body: queryPair, uri: { type: 'string' } } },
  add: { type: 'record', fields: { headers: headerPair, querystring: queryPair, body: queryPair } },
  append: { type: 'record', fields: { headers: headerPair, querystring: queryPair, body: queryPair } },
};

/** post-function (kong/plugins/pre-function/_schema.lua): Lua chunks per phase; Tollgate emits header_filter only. */
export const POST_FUNCTION_FIELDS: Fields = { header_filter: { type: 'strings', minItems: 1 } };

/** The Tollgate Kong plugin's schema: the engine configuration as JSON, and the route an entry guards when attached per route. */
export const TOLLGATE_FIELDS: Fields = { policy: { type: 'string', minLength: 2 }, route: { type: 'string', minLength: 1 } };

/** tollgate-lua's schema.lua: the same, and how long a request waits for the sidecar (the one other field the compiler sets). */
export const TOLLGATE_LUA_FIELDS: Fields = { ...TOLLGATE_FIELDS, timeout: { type: 'number', integer: true, min: 1, max: 60_000 } };

export function pluginFields(name: string, edition: 'oss' | 'enterprise'): Fields | undefined {
  if (name === KONG_LUA_PLUGIN) return TOLLGATE_LUA_FIELDS;
  if (TOLLGATE_PLUGINS.has(name)) return TOLLGATE_FIELDS;
  switch (name) {
    case 'rate-limiting':
      return rateLimitingFields(edition);
    case 'key-auth':
      return KEY_AUTH_FIELDS;
    case 'request-transformer':
      return REQUEST_TRANSFORMER_FIELDS;
    case 'post-function':
      return POST_FUNCTION_FIELDS;
    default:
      return undefined;
  }
}

/** rate-limiting's entity checks: at least one period, and no longer period with a lower limit. */
export function rateLimitingEntityChecks(config: Record<string, unknown>, path: string): string[] {
  const set = RATE_LIMIT_PERIODS.filter((p) => typeof config[p] === 'number');
  const problems: string[] = [];
  if (set.length === 0) problems.push(`${path}: at least one of ${RATE_LIMIT_PERIODS.join(', ')} is required`);
  for (const [i, longer] of set.entries()) {
    for (const shorter of set.slice(0, i)) {
      if ((config[longer] as number) < (config[shorter] as number)) problems.push(`${path}.${longer}: lower than ${shorter}, which Kong rejects`);
    }
  }
  if (config.limit_by === 'header' && config.header_name === undefined) problems.push(`${path}.header_name: required when limit_by is header`);
  if (config.limit_by === 'path' && config.path === undefined) problems.push(`${path}.path: required when limit_by is path`);
  if (config.policy === 'redis') {
    const redis = (config.redis ?? {}) as Record<string, unknown>;
    for (const field of ['host', 'port', 'timeout']) if (redis[field] === undefined) problems.push(`${path}.redis.${field}: required when policy is redis`);
  }
  if (typeof config.sync_rate === 'number' && config.sync_rate !== -1 && (config.policy !== 'redis' || config.sync_rate < 0.02)) {
    problems.push(`${path}.sync_rate: only with policy redis, and then at least 0.02`);
  }
  return problems;
}
