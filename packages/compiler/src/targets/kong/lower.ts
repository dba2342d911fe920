// One policy → the decK entities that carry it on Kong, and why each part went where it went.
import type { Diagnostic } from '@tollgate/policy';
import type { EngineConfig } from '../../engine-config.js';
import { ExplanationBuilder, type PolicyExplanation } from '../../explain.js';
import { fullModeDiagnostics } from '../../ir/full-mode.js';
import type { PolicyIr } from '../../ir/types.js';
import { engineWork } from '../../native/engine-work.js';
import { commonBlockers, describeCounters, gatewayCounters, limitShape, withoutRateLimits, type GatewayCounters, type LimitShape, type Windows } from '../../native/rate-limits.js';
import { rewriteBlockers, valuesMatching } from '../../native/rewrite.js';
import type { CompileOptions } from '../target.js';
import { ANONYMOUS_CONSUMER, SELECT_TAG, TOLLGATE_CHARGE_ON_SUCCESS_PLUGIN, TOLLGATE_PLUGIN, TOLLGATE_X402_PLUGIN, policyTag, type KongPlugin, type KongService } from './model.js';
import { keyAuthConfig, kongCertificateCheck, kongRedisBlockers, rateLimitingConfig, requestTransformerConfig } from './native-plugins.js';
import { omit } from '../../omit.js';
import { KONG_LUA_PLUGIN, luaAdapterTimeout, usesLuaAdapter } from '../lua-adapter.js';
import { routePaths } from '../route-paths.js';
import { entryObservedHeaders, entryResponseWork, kongObservedHeaderKey, type ResponseWork } from '@tollgate/engine';

export interface KongLowered {
  readonly service?: KongService;
  readonly plugins: readonly KongPlugin[];
  /** Plans whose limits hang on a consumer group (Enterprise). */
  readonly groups: readonly string[];
  readonly usesAnonymous: boolean;
  readonly explanation: PolicyExplanation;
  readonly diagnostics: readonly Diagnostic[];
}

/** Where the policy's plugins attach: its service, or each of its routes. */
type Scope = { readonly service: string } | { readonly route: string };

/** Kong's header_name typedef for rate-limiting. */
const KONG_HEADER = /^[A-Za-z0-9_-]+$/;

export function lowerPolicy(policy: PolicyIr, options: CompileOptions): KongLowered {
  const { spec } = policy.document.value;
  const tags = [SELECT_TAG, policyTag(policy.name)];
  const explain = new ExplanationBuilder(policy.name, policy.document.source);
  const scopes: Scope[] = spec.service ? [{ service: spec.service.name }] : spec.routes.map((r) => ({ route: r.name }));
  const where = spec.service ? `service ${spec.service.name}` : `route${scopes.length > 1 ? 's' : ''} ${spec.routes.map((r) => r.name).join(', ')}`;
  const plugins: KongPlugin[] = [];
  const plugin = (name: string, scope: object, config: Record<string, unknown>): KongPlugin => ({ name, ...scope, config, tags });

  const { service, diagnostics } = options.mode === 'full' ? fullModeService(policy, tags) : { service: undefined, diagnostics: [] };
  if (options.mode === 'overlay') explain.native('attachment', `plugins attach by name to the existing ${where}`);

  let config = policy.config;
  const { identity } = config;
  if (identity.auth === 'key-auth') {
    for (const scope of scopes) plugins.push(plugin('key-auth', scope, keyAuthConfig(identity, ANONYMOUS_CONSUMER)));
    const anonymous = identity.anonymous === true ? `, unauthenticated callers continue as consumer ${ANONYMOUS_CONSUMER}` : '';
    explain.native('authentication', `key-auth on ${where} (key_names ${(identity.keyNames ?? []).join(', ')})${anonymous}`);
  }

  const shape = limitShape(config);
  const counters = gatewayCounters(config, policy.nativeRedis);
  const limitBlockers = shape.kind === 'none' ? [] : rateLimitBlockers(config, shape, scopes.length, counters);
  let groups: readonly string[] = [];
  if (shape.kind !== 'none' && limitBlockers.length === 0 && counters) {
    const [scope] = scopes as [Scope];
    const lowered = lowerRateLimits(config, shape, scope, counters, options, plugin);
    plugins.push(...lowered.plugins);
    for (const line of lowered.explain) explain.native('rate limits', `${line}; Kong answers 429 itself (its own body and X-RateLimit-* headers)`);
    const certificateCheck = counters.kind === 'redis' && counters.redis.kind === 'server' ? kongCertificateCheck(counters.redis) : undefined;
    if (certificateCheck) explain.native('Redis TLS', certificateCheck);
    config = withoutRateLimits(config);
    groups = lowered.groups;
  }

  const request = config.rewrite?.request;
  const rewriteWhy = request ? [...rewriteBlockers(request), ...kongRewriteBlockers(request)] : [];
  if (request && rewriteWhy.length === 0) {
    for (const scope of scopes) plugins.push(plugin('request-transformer', scope, requestTransformerConfig(request)));
    explain.native('request rewrite', `request-transformer on ${where} (remove → rename → replace → add)`);
    config = omit(config, 'rewrite');
  }

  const work = engineWork(config, { gateway: 'Kong', rateLimits: limitBlockers, rewrite: rewriteWhy });
  for (const w of work) explain.tollgate(w.feature, w.detail);
  if (work.length > 0) {
    // Kong's router decides the route: each policy route gets its own entry naming its policy
    // route, so the engine never guesses it (nor reads the request line for it).
    const policyJson = JSON.stringify(config);
    const lua = usesLuaAdapter(config, options.kongPlugin === 'lua', KONG_LUA_PLUGIN, 'the JavaScript plugin', explain);
    const entries: { scope: Scope; route?: string }[] = spec.routes.map((r) => ({ scope: { route: r.name }, route: r.name }));
    // Kong runs a route's own entry instead of its service's: the service's catches only routes
    // added to it outside the policy, which the engine then prices by matching as Kong's router does.
    if (spec.service) entries.push({ scope: { service: spec.service.name } });
    for (const { scope, route } of entries) {
      const name = lua ? KONG_LUA_PLUGIN : tollgatePluginFor(config, route);
      plugins.push(plugin(name, scope, { policy: policyJson, ...(route === undefined ? {} : { route }), ...(lua ? luaAdapterTimeout(config) : {}) }));
      // The JS plugin has no header_filter phase: Kong's post-function takes a metered route's cost
      // header off the response. Only on the route itself: Kong runs a service's post-function on
      // every route without its own, which would strip a same-named header elsewhere.
      const headers = lua || route === undefined ? [] : entryObservedHeaders(config, route);
      if (headers.length > 0) plugins.push(plugin('post-function', scope, { header_filter: [costHeaderFilter(headers)] }));
    }
    explain.tollgate(
      'pricing route',
      `the route Kong matched: one ${lua ? KONG_LUA_PLUGIN : 'Tollgate plugin'} entry per route names its policy route (config.route)${spec.service ? `; the entry on service ${spec.service.name} guards routes added to it outside the policy, priced by the policy route Kong's router would pick among the policy's own (else the default cost)` : ''}`,
    );
    explainKongPlugins(config, entries, lua, explain);
    for (const line of routePaths(config, spec.routes.map((r) => r.name), lua ? 'lua' : 'kong-js')) explain.tollgate(line.feature, line.detail);
  }
  return {
    ...(service ? { service } : {}),
    plugins,
    groups,
    usesAnonymous: identity.auth === 'key-auth' && identity.anonymous === true,
    explanation: explain.build(),
    diagnostics,
  };
}

/**
 * Kong calls every phase a plugin has on every request it guards, so each entry gets the plugin
 * with only the phases its work after the response needs. A response phase makes Kong buffer every
 * response of the route, which would deliver streamed answers (SSE, LLM tokens, downloads) in one
 * piece: only an x402 settlement (before the client sees the answer) and a cost read from the
 * response body (the plugin server sees no body but the buffered one) are worth that. A log phase
 * costs every request one more round trip to the plugin server after the response: only
 * `chargeOn: success` and metered routes need it, to complete the charge.
 */
const PLUGIN_FOR_WORK: Readonly<Record<ResponseWork['work'], string>> = { none: TOLLGATE_PLUGIN, after: TOLLGATE_CHARGE_ON_SUCCESS_PLUGIN, 'whole-response': TOLLGATE_X402_PLUGIN };

function tollgatePluginFor(config: EngineConfig, route: string | undefined): string {
  return PLUGIN_FOR_WORK[entryResponseWork(config, route).work];
}

function explainKongPlugins(config: EngineConfig, entries: readonly { scope: Scope; route?: string }[], lua: boolean, explain: ExplanationBuilder): void {
  if (lua) return;
  const byPlugin = new Map<string, string[]>();
  for (const { scope, route } of entries) {
    const name = tollgatePluginFor(config, route);
    byPlugin.set(name, [...(byPlugin.get(name) ?? []), 'route' in scope ? `route ${scope.route}` : `service ${scope.service}`]);
  }
  const why: Record<string, string> = {
    [TOLLGATE_X402_PLUGIN]: `its response phase holds the whole response before the client sees it (buffered proxying): needed to settle x402 first, or to read a cost from the response body; entries that need neither get ${TOLLGATE_PLUGIN} or ${TOLLGATE_CHARGE_ON_SUCCESS_PLUGIN}, which stream`,
    [TOLLGATE_CHARGE_ON_SUCCESS_PLUGIN]: `its log phase completes each charge once the upstream answered (commits, gives back on 5xx, or settles a metered route's cost); entries that charge on request get ${TOLLGATE_PLUGIN}, which Kong calls in the access phase only`,
  };
  for (const [name, scopes] of byPlugin) {
    const reason = why[name];
    if (reason !== undefined) explain.tollgate(`plugin ${name}`, `on ${scopes.join(', ')}: ${reason}`);
  }
}

/**
 * The post-function (Kong's bundled serverless plugin; runs with untrusted_lua = sandbox, Kong's
 * default, whose environment has ngx) that does for the JS plugin what it has no phase for: in
 * header_filter it keeps the upstream's cost header in kong.ctx.shared, where the log phase reads
 * it, and takes it off the client's response. Read as $upstream_http_<name>: in Kong 3.9.1
 * kong.service.response.get_header of a lower-case name also returns a header another plugin put on
 * the response, and only the upstream's own may be charged (the Lua adapters read it the same way).
 */
function costHeaderFilter(headers: readonly string[]): string {
  const steps = headers.map((name) => {
    const variable = JSON.stringify(`upstream_http_${name.replace(/-/g, '_')}`);
    return `    ctx[${JSON.stringify(kongObservedHeaderKey(name))}] = ngx.var[${variable}]\n    kong.response.clear_header(${JSON.stringify(name)})`;
  });
  return `return function()\n    local ctx = kong.ctx.shared\n${steps.join('\n')}\nend`;
}

function fullModeService(policy: PolicyIr, tags: string[]): { service?: KongService; diagnostics: Diagnostic[] } {
  const diagnostics = fullModeDiagnostics(policy, ', or compile with --mode overlay');
  const { spec } = policy.document.value;
  if (!spec.service || !policy.upstream || diagnostics.length > 0) return { diagnostics };
  const routes = spec.routes.map((r) => ({
    name: r.name,
    paths: r.paths ?? [],
    ...(r.methods ? { methods: r.methods } : {}),
    ...(r.hosts ? { hosts: r.hosts } : {}),
    strip_path: r.stripPath ?? false,
    tags,
  }));
  return { service: { name: spec.service.name, url: policy.upstream.url, routes, tags }, diagnostics };
}

function rateLimitBlockers(config: EngineConfig, shape: Exclude<LimitShape, { kind: 'none' }>, scopeCount: number, counters: GatewayCounters | undefined): string[] {
  const reasons = commonBlockers(config, counters);
  if (counters?.kind === 'redis') reasons.push(...kongRedisBlockers(counters.redis));
  if (scopeCount > 1) reasons.push(`the policy spans ${scopeCount} routes without a service, and Kong counts per plugin instance`);
  const { identity } = config;
  if (identity.limitBy === 'header' && !KONG_HEADER.test(identity.header ?? '')) reasons.push(`Kong's rate-limiting header_name accepts only letters, digits, - and _`);
  if (shape.kind === 'per-plan') {
    if (identity.limitBy === 'ip' || identity.limitBy === 'header') {
      reasons.push(`per-plan limits by ${identity.limitBy} would share one Kong counter across plans`);
    }
    const fallback = shape.plans.find((p) => p.plan === config.defaultPlan)?.windows;
    const unlimited = shape.plans.filter((p) => p.windows === undefined).map((p) => p.plan);
    if (fallback && unlimited.length > 0) {
      reasons.push(`plan ${unlimited.join(', ')} has no rate limit, but Kong would apply the default plan's service-wide limit to its consumers`);
    }
  }
  return reasons;
}

function kongRewriteBlockers(request: Parameters<typeof rewriteBlockers>[0]): string[] {
  const reasons: string[] = [];
  if (valuesMatching(request, /\$\(/).length > 0) reasons.push('values contain "$(", which request-transformer reads as a template');
  if (valuesMatching(request, /^$/).length > 0) reasons.push('request-transformer cannot set an empty value');
  return reasons;
}

type PluginFactory = (name: string, scope: object, config: Record<string, unknown>) => KongPlugin;

const describe = (windows: Windows): string =>
  Object.entries(windows)
    .map(([w, n]) => `${n}/${w}`)
    .join(', ');

function lowerRateLimits(
  config: EngineConfig,
  shape: Exclude<LimitShape, { kind: 'none' }>,
  scope: Scope,
  counters: GatewayCounters,
  options: CompileOptions,
  plugin: PluginFactory,
): { plugins: KongPlugin[]; groups: string[]; explain: string[] } {
  const by = `limit_by ${config.identity.limitBy}, policy ${describeCounters(counters)}`;
  const rateLimiting = (windows: Windows): Record<string, unknown> => rateLimitingConfig(windows, config, counters);
  if (shape.kind === 'uniform') {
    return { plugins: [plugin('rate-limiting', scope, rateLimiting(shape.windows))], groups: [], explain: [`rate-limiting ${describe(shape.windows)} for every caller (${by})`] };
  }
  const plugins: KongPlugin[] = [];
  const groups: string[] = [];
  const explain: string[] = [];
  for (const { plan, windows } of shape.plans) {
    if (!windows) continue;
    if (plan === config.defaultPlan) {
      plugins.push(plugin('rate-limiting', scope, rateLimiting(windows)));
      explain.push(`plan ${plan} (default): rate-limiting ${describe(windows)} on the policy's scope (${by})`);
    } else if (options.kongEdition === 'enterprise') {
      plugins.push(plugin('rate-limiting', { ...scope, consumer_group: plan }, rateLimiting(windows)));
      groups.push(plan);
      explain.push(`plan ${plan}: rate-limiting ${describe(windows)} scoped to consumer group ${plan} (${by})`);
    } else {
      const members = Object.entries(config.consumerPlans).filter(([, p]) => p === plan).map(([c]) => c).sort();
      for (const consumer of members) plugins.push(plugin('rate-limiting', { ...scope, consumer }, rateLimiting(windows)));
      explain.push(
        `plan ${plan}: rate-limiting ${describe(windows)} per consumer (${members.length === 0 ? 'no consumer has this plan yet' : members.join(', ')}) because Kong OSS has no consumer groups; follows the plans of Consumers documents, so recompile after a plan change`,
      );
    }
  }
  return { plugins, groups, explain };
}
