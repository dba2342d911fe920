// Checks an EngineConfig once, when a gateway hands it over: JSON Schema (ajv over the TypeBox
// source) and then the cross-references the schema cannot express. Every problem is listed.
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { x402OfferProblems } from '@tollgate/policy/schema';
import { compileRewrite } from '../rewrite/rewrite.js';
import { EngineConfig } from './engine-config.js';

export type EngineConfigParse = { readonly ok: true; readonly config: EngineConfig } | { readonly ok: false; readonly errors: readonly string[] };

const validate = new Ajv2020({ strict: true, allErrors: true }).compile<EngineConfig>(EngineConfig);

/** `input`: the JSON text of an EngineConfig, or the parsed value. */
export function parseEngineConfig(input: unknown): EngineConfigParse {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      return { ok: false, errors: [`config is not valid JSON: ${(error as Error).message}`] };
    }
  }
  if (!validate(value)) return { ok: false, errors: (validate.errors ?? []).map(schemaError) };
  const errors = semanticErrors(value);
  return errors.length === 0 ? { ok: true, config: value } : { ok: false, errors };
}

function schemaError(error: ErrorObject): string {
  const at = error.instancePath === '' ? '/' : error.instancePath;
  if (error.keyword === 'additionalProperties') return `${at}: unknown property "${String(error.params.additionalProperty)}"`;
  if (error.keyword === 'enum') return `${at}: ${error.message ?? 'invalid'} (${(error.params.allowedValues as unknown[]).map(String).join(', ')})`;
  return `${at}: ${error.message ?? 'invalid'}`;
}

function semanticErrors(config: EngineConfig): string[] {
  const errors: string[] = [];
  const routes = new Set<string>();
  config.routes.forEach((route, i) => {
    if (routes.has(route.name)) errors.push(`/routes/${i}/name: duplicate route "${route.name}"`);
    routes.add(route.name);
  });
  const plans = new Set<string>();
  config.plans.forEach(({ name, plan }, i) => {
    if (plans.has(name)) errors.push(`/plans/${i}/name: duplicate plan "${name}"`);
    plans.add(name);
    plan.routes?.forEach((grant, j) => {
      const route = typeof grant === 'string' ? grant : grant.route;
      if (!routes.has(route)) errors.push(`/plans/${i}/plan/routes/${j}: unknown route "${route}"`);
    });
  });
  if (config.defaultPlan !== undefined && !plans.has(config.defaultPlan)) errors.push(`/defaultPlan: unknown plan "${config.defaultPlan}"`);
  for (const [consumer, plan] of Object.entries(config.consumerPlans)) {
    if (!plans.has(plan)) errors.push(`/consumerPlans/${consumer}: unknown plan "${plan}"`);
  }
  for (const section of ['routes', 'metered'] as const) {
    for (const route of Object.keys(config.costs[section] ?? {})) {
      if (!routes.has(route)) errors.push(`/costs/${section}/${route}: unknown route "${route}"`);
    }
  }
  const { identity } = config;
  if (identity.limitBy === 'header' && identity.header === undefined) errors.push('/identity/header: required when limitBy is header');
  if (identity.auth === 'key-auth' && identity.anonymous === true && identity.anonymousConsumer === undefined) {
    // Without it the gateway's anonymous consumer would be one account shared by every unauthenticated caller.
    errors.push('/identity/anonymousConsumer: required with key-auth and anonymous: true (the consumer key-auth gives unauthenticated callers)');
  }
  if (config.store.kind === 'redis' && config.store.url === undefined) errors.push('/store/url: required when kind is redis');
  if (config.store.kind === 'redis-cluster' && config.store.nodes === undefined) errors.push('/store/nodes: required when kind is redis-cluster');
  const offer = config.payment?.x402;
  if (offer !== undefined) {
    for (const problem of x402OfferProblems(offer, routes)) errors.push(`/payment/x402${problem.path.map((p) => `/${p}`).join('')}: ${problem.message}`);
  }
  const rewrite = compileRewrite(config.rewrite);
  if (!rewrite.ok) errors.push(...rewrite.errors);
  return errors;
}
