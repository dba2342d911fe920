// One policy → the APISIX service (upstream + shared plugins) and routes that carry it, and why each
// part went where it went.
import type { Diagnostic } from '@tollgate/policy';
import type { EngineConfig } from '../../engine-config.js';
import { ExplanationBuilder, type PolicyExplanation } from '../../explain.js';
import { fullModeDiagnostics } from '../../ir/full-mode.js';
import type { PolicyIr, Upstream } from '../../ir/types.js';
import { engineWork } from '../../native/engine-work.js';
import { commonBlockers, describeCounters, gatewayCounters, limitShape, withoutRateLimits, type GatewayCounters, type LimitShape, type Windows } from '../../native/rate-limits.js';
import { rewriteBlockers, valuesMatching, type RequestRewrite } from '../../native/rewrite.js';
import { policyLabels, TOLLGATE_CONF_NAME, TOLLGATE_EXT_PLUGIN, TOLLGATE_ROUTE_CONF_NAME, TOLLGATE_EXT_RESPONSE_PLUGIN, type ApisixRoute, type ApisixService, type ApisixUpstream, type PluginMap } from './model.js';
import { splitSharedPlugins } from './shared-plugins.js';
import { headerOps, keyAuthConfig, limitCountCertificateCheck, limitCountConfig, limitKey, unsupportedRedisSettings, upstreamPath, type UnsupportedRedisSetting } from './native-plugins.js';
import { omit } from '../../omit.js';
import { APISIX_LUA_PLUGIN, luaAdapterTimeout, usesLuaAdapter } from '../lua-adapter.js';
import { routePaths } from '../route-paths.js';
import { entryResponseWork, routeObservation } from '@tollgate/engine';
import type { CompileOptions } from '../target.js';

export interface ApisixLowered {
  readonly service?: ApisixService;
  readonly routes: readonly ApisixRoute[];
  readonly usesAnonymous: boolean;
  readonly explanation: PolicyExplanation;
  readonly diagnostics: readonly Diagnostic[];
}

export function lowerPolicy(policy: PolicyIr, options: Pick<CompileOptions, 'apisixPlugin'> = {}): ApisixLowered {
  const { spec } = policy.document.value;
  const explain = new ExplanationBuilder(policy.name, policy.document.source);
  const diagnostics = fullModeDiagnostics(policy, ' (APISIX files hold the whole configuration: there is no overlay mode)');
  const { upstream } = policy;
  if (!spec.service || !upstream || diagnostics.length > 0) return { routes: [], usesAnonymous: false, explanation: explain.build(), diagnostics };

  let config = policy.config;
  const everyRoute: PluginMap = {};
  const { identity } = config;
  if (identity.auth === 'key-auth') {
    everyRoute['key-auth'] = keyAuthConfig(identity);
    explain.native('authentication', `key-auth on service ${spec.service.name}, so on every route (header and query ${String(everyRoute['key-auth'].header)})`);
  }

  const limits = lowerLimits(config, policy);
  if (limits.plugin) {
    everyRoute['limit-count'] = limits.plugin;
    explain.native('rate limits', limits.detail);
    if (limits.certificateCheck) explain.native('Redis TLS', limits.certificateCheck);
    config = withoutRateLimits(config);
  }

  const request = config.rewrite?.request;
  const rewriteWhy = request ? [...rewriteBlockers(request), ...apisixRewriteBlockers(request)] : [];
  const nativeRewrite = request && rewriteWhy.length === 0 ? request : undefined;
  if (nativeRewrite) config = omit(config, 'rewrite');

  const work = engineWork(config, { gateway: 'APISIX', rateLimits: limits.blockers, rewrite: rewriteWhy });
  for (const w of work) explain.tollgate(w.feature, w.detail);
  const lua = work.length > 0 && usesLuaAdapter(config, options.apisixPlugin === 'lua', APISIX_LUA_PLUGIN, `the ext-plugin runner (${TOLLGATE_EXT_PLUGIN} and ${TOLLGATE_EXT_RESPONSE_PLUGIN})`, explain);
  // The Lua adapter does after-response work from the log phase: no ext-plugin-post-resp. The
  // runner needs it only on routes with work after the response (chargeOn success, x402, metered).
  const postResp = (route: string): boolean => !lua && entryResponseWork(config, route).work !== 'none';
  const afterResponse = [
    ...(config.payment?.x402 ? ['x402 settlement when the upstream answered < 400'] : []),
    ...(config.costs.chargeOn === 'success' ? ['keeping credits only when the upstream answered < 500'] : []),
    ...(spec.routes.some((route) => routeObservation(config, route.name) !== undefined) ? ["settling metered routes at the cost the response states"] : []),
  ];
  if (work.length > 0) {
    const entry = lua ? `${APISIX_LUA_PLUGIN} entry names its policy route (route)` : `${TOLLGATE_EXT_PLUGIN} conf names its policy route (${TOLLGATE_ROUTE_CONF_NAME})`;
    explain.tollgate('pricing route', `the route APISIX matched: each route's ${entry}, so the EngineConfig JSON is repeated on each route`);
    const withPostResp = spec.routes.filter((route) => postResp(route.name)).map((route) => route.name);
    if (withPostResp.length > 0) {
      explain.tollgate(
        'after the response',
        `${afterResponse.join(' and ')}: ${TOLLGATE_EXT_RESPONSE_PLUGIN} on route${withPostResp.length > 1 ? 's' : ''} ${withPostResp.join(', ')} (APISIX then calls the upstream itself with lua-resty-http and streams its body chunk by chunk: no proxy-cache or proxy-mirror, no upstream mTLS)`,
      );
    }
    for (const line of routePaths(config, spec.routes.map((route) => route.name), lua ? 'lua' : 'apisix-runner')) explain.tollgate(line.feature, line.detail);
  }
  // APISIX's router decides the route: the runner conf names it, the engine never guesses it.
  const policyJson = JSON.stringify(config);
  const tollgateOn = (route: string): PluginMap => {
    if (work.length === 0) return {};
    // The policy's onFailure applies when the sidecar cannot answer (allow_degradation's job for ext-plugin).
    if (lua) return { [APISIX_LUA_PLUGIN]: { policy: policyJson, route, ...luaAdapterTimeout(config) } };
    const conf = [
      { name: TOLLGATE_CONF_NAME, value: policyJson },
      { name: TOLLGATE_ROUTE_CONF_NAME, value: route },
    ];
    const tollgate = { conf, allow_degradation: config.store.onFailure !== 'closed' };
    return { [TOLLGATE_EXT_PLUGIN]: tollgate, ...(postResp(route) ? { [TOLLGATE_EXT_RESPONSE_PLUGIN]: tollgate } : {}) };
  };

  const labels = policyLabels(policy.name);
  const serviceId = spec.service.name;
  const { shared, perRoute } = splitSharedPlugins(
    spec.routes.map((route): PluginMap => {
      const rewrite = { ...upstreamPath(route, upstream, nativeRewrite?.path), ...(nativeRewrite ? rewriteHeaders(nativeRewrite) : {}) };
      return { ...everyRoute, ...tollgateOn(route.name), ...(Object.keys(rewrite).length > 0 ? { 'proxy-rewrite': rewrite } : {}) };
    }),
  );
  if (nativeRewrite) {
    explain.native('request rewrite', 'proxy-rewrite' in shared ? `proxy-rewrite on service ${serviceId}` : 'proxy-rewrite on each route (the upstream path differs per route)');
  }
  const routes = spec.routes.map((route, i): ApisixRoute => {
    const own = perRoute[i] ?? {};
    return {
      id: route.name,
      name: route.name,
      // Kong's paths are prefixes; APISIX matches a prefix with a trailing *.
      uris: (route.paths ?? []).map((p) => `${p}*`),
      ...(route.methods ? { methods: route.methods } : {}),
      ...(route.hosts ? { hosts: route.hosts } : {}),
      service_id: serviceId,
      ...(Object.keys(own).length > 0 ? { plugins: sortedKeys(own) } : {}),
      labels,
    };
  });
  const service: ApisixService = {
    id: serviceId,
    name: serviceId,
    upstream: upstreamOf(upstream),
    ...(Object.keys(shared).length > 0 ? { plugins: sortedKeys(shared) } : {}),
    labels,
  };
  return {
    service,
    routes,
    usesAnonymous: identity.auth === 'key-auth' && identity.anonymous === true,
    explanation: explain.build(),
    diagnostics,
  };
}

function upstreamOf(upstream: Upstream): ApisixUpstream {
  return { type: 'roundrobin', scheme: upstream.scheme, nodes: [{ host: upstream.host, port: upstream.port, weight: 1 }], pass_host: 'node' };
}

function rewriteHeaders(request: RequestRewrite): Record<string, unknown> {
  const headers = headerOps(request);
  return Object.keys(headers).length > 0 ? { headers } : {};
}

const sortedKeys = (plugins: PluginMap): PluginMap => Object.fromEntries(Object.entries(plugins).sort(([a], [b]) => (a < b ? -1 : 1)));

function lowerLimits(config: EngineConfig, policy: PolicyIr): { plugin?: Record<string, unknown>; detail: string; certificateCheck?: string; blockers: string[] } {
  const shape = limitShape(config);
  if (shape.kind === 'none') return { detail: '', blockers: [] };
  const counters = gatewayCounters(config, policy.nativeRedis);
  const { others, unsupported } = limitCountBlockers(config, shape, counters);
  const blockers = [...others, ...unsupported.map((u) => u.reason)];
  const key = limitKey(config.identity);
  if (blockers.length > 0 || key === undefined || !counters) return { detail: '', blockers };
  const windows: Windows = shape.kind === 'uniform' ? shape.windows : {};
  const plugin = limitCountConfig(windows, key, `tollgate.${policy.name}`, config, counters);
  const certificateCheck = counters.kind === 'redis' ? limitCountCertificateCheck(counters.redis) : undefined;
  return {
    plugin,
    detail: `limit-count ${String(plugin.count)} per ${String(plugin.time_window)} s by ${key}, policy ${describeCounters(counters)}, one counter for all routes (group); the window starts at the first request, not on the clock`,
    ...(certificateCheck ? { certificateCheck } : {}),
    blockers,
  };
}

/**
 * Why limit-count cannot take a policy's rate limits: the store.native settings it has no field
 * for apart from every other reason, so lint can tell when a setting alone keeps them in Tollgate.
 */
export function limitCountBlockers(
  config: EngineConfig,
  shape: Exclude<LimitShape, { kind: 'none' }>,
  counters: GatewayCounters | undefined,
): { others: string[]; unsupported: UnsupportedRedisSetting[] } {
  const others = commonBlockers(config, counters);
  if (shape.kind === 'per-plan') {
    others.push('plans differ in their limits, and APISIX consumer-group plugins would apply on every route the consumer calls, not only this policy\'s');
  } else if (Object.keys(shape.windows).length > 1) {
    others.push('limit-count holds one window per route (rules need APISIX 3.16+)');
  }
  if (limitKey(config.identity) === undefined) others.push('APISIX has no variable for the credential');
  return { others, unsupported: counters?.kind === 'redis' ? unsupportedRedisSettings(counters.redis) : [] };
}

function apisixRewriteBlockers(request: RequestRewrite): string[] {
  const reasons: string[] = [];
  const { headers, query } = request;
  if (Object.keys(headers?.add ?? {}).length > 0) reasons.push('proxy-rewrite\'s add appends a value even when the header is present');
  if (Object.keys(headers?.rename ?? {}).length > 0) reasons.push('proxy-rewrite cannot rename a header');
  if (query) reasons.push('proxy-rewrite has no query-string operations');
  if (valuesMatching(request, /\$/).length > 0) reasons.push('values contain "$", which APISIX reads as a variable');
  return reasons;
}
