// A metered route compiled once from `costs.metered`: what its admission holds (a fixed estimate,
// or one priced from a request body field), where the response states the actual cost (a header
// or token usage), and the token prices. Pure: the engine wires it to the store (meters.ts).
import type { MeteredRoute, MeteredUsage } from '@tollgate/policy/schema';
import type { EngineConfig } from '../config/engine-config.js';
import { REQUEST_BODY_LIMIT, type RequestFacts, type ResponseFacts, type ResponseObservation } from '../types.js';
import { headerUnits } from './header-units.js';
import { countAt, fieldPath, parseJson } from './json-fields.js';
import { priceKeyOf, priceTokens, type TokenPrice } from './price.js';
import { readTokens, type UsageReader } from './usage.js';

export type Estimate =
  | { readonly kind: 'fixed'; readonly units: number }
  /** `field` output tokens (from the request body) and `inputTokens` input tokens, priced; else `fallback` units. */
  | { readonly kind: 'computed'; readonly field: readonly string[]; readonly inputTokens: number; readonly fallback: number };

export type CostSource = { readonly kind: 'header'; readonly name: string } | { readonly kind: 'usage'; readonly reader: UsageReader };

export interface Meter {
  readonly route: string;
  readonly estimate: Estimate;
  readonly source: CostSource;
  readonly prices: ReadonlyMap<string, TokenPrice>;
  readonly per: bigint;
  readonly modelFromBody: boolean;
  /** What the adapter captures of the response. */
  readonly observe: ResponseObservation;
  /** Whether the adapter must send the request body (the estimate or the model comes from it). */
  readonly readsBody: boolean;
}

/** What an admission on a metered route holds, and the price the settlement will apply. */
export interface MeteredAdmission {
  readonly estimate: number;
  /** The price key (a model name or "*") for the request's model; absent when no price applies. */
  readonly price?: string;
}

export type MetersCompile = { readonly ok: true; readonly meters: ReadonlyMap<string, Meter> } | { readonly ok: false; readonly errors: readonly string[] };

export function compileMeters(config: EngineConfig): MetersCompile {
  const meters = new Map<string, Meter>();
  const errors: string[] = [];
  for (const [route, spec] of Object.entries(config.costs.metered ?? {})) {
    const meter = compileMeter(route, spec);
    if (typeof meter === 'string') errors.push(`costs.metered.${route}: ${meter}`);
    else meters.set(route, meter);
  }
  return errors.length === 0 ? { ok: true, meters } : { ok: false, errors };
}

/** Whether an adapter must send the request body of this policy route (RequestFacts.body). */
export function routeReadsBody(config: Pick<EngineConfig, 'costs'>, route: string): boolean {
  const spec = config.costs.metered?.[route];
  return spec !== undefined && readsBody(spec);
}

function readsBody(spec: MeteredRoute): boolean {
  return typeof spec.estimate === 'object' || (spec.prices !== undefined && (spec.model ?? 'body') === 'body');
}

function compileMeter(route: string, spec: MeteredRoute): Meter | string {
  if ((spec.header === undefined) === (spec.usage === undefined)) return 'give exactly one of header and usage';
  const prices = new Map(Object.entries(spec.prices ?? {}).map(([model, p]) => [model, { input: BigInt(p.input), output: BigInt(p.output) }]));
  if (spec.usage !== undefined && prices.size === 0) return 'usage needs prices';
  if (typeof spec.estimate === 'object' && prices.size === 0) return 'an estimate from requestField needs prices';
  const source: CostSource = spec.header !== undefined ? { kind: 'header', name: spec.header.toLowerCase() } : { kind: 'usage', reader: readerOf(spec.usage as MeteredUsage) };
  const estimate: Estimate =
    typeof spec.estimate === 'number'
      ? { kind: 'fixed', units: spec.estimate }
      : { kind: 'computed', field: fieldPath(spec.estimate.requestField), inputTokens: spec.estimate.inputTokens ?? 0, fallback: spec.estimate.fallback };
  return {
    route,
    estimate,
    source,
    prices,
    per: BigInt(spec.per ?? 1),
    modelFromBody: prices.size > 0 && (spec.model ?? 'body') === 'body',
    observe: source.kind === 'header' ? { header: source.name } : { body: true },
    readsBody: readsBody(spec),
  };
}

function readerOf(usage: MeteredUsage): UsageReader {
  if (usage === 'openai' || usage === 'anthropic') return { kind: usage };
  if ('total' in usage) return { kind: 'total', total: fieldPath(usage.total) };
  return { kind: 'fields', input: fieldPath(usage.input), output: fieldPath(usage.output) };
}

/** The hold of a request on this metered route: its estimate, and the price its model gets. */
export function admitMetered(meter: Meter, facts: RequestFacts): MeteredAdmission {
  const body = meter.readsBody ? requestJson(facts) : undefined;
  const model = meter.modelFromBody ? (body as { model?: unknown } | undefined)?.model : undefined;
  const price = meter.prices.size === 0 ? undefined : priceKeyOf(meter.prices, typeof model === 'string' ? model : undefined);
  return price === undefined ? { estimate: estimateOf(meter, body, undefined) } : { estimate: estimateOf(meter, body, price), price };
}

function estimateOf(meter: Meter, body: unknown, price: string | undefined): number {
  const { estimate } = meter;
  if (estimate.kind === 'fixed') return estimate.units;
  const bound = countAt(body, estimate.field);
  const rates = price === undefined ? undefined : meter.prices.get(price);
  if (bound === undefined || rates === undefined) return estimate.fallback;
  // A bound so large its price passes what a balance holds: a hold nobody can afford.
  return priceTokens({ input: estimate.inputTokens, output: bound }, rates, meter.per) ?? Number.MAX_SAFE_INTEGER;
}

/** The request body as JSON; undefined when absent, cut (bodyTruncated) or not JSON. */
function requestJson(facts: RequestFacts): unknown {
  const { body } = facts;
  if (body === undefined || facts.bodyTruncated === true || body.length > REQUEST_BODY_LIMIT) return undefined;
  return parseJson(body);
}

/** The actual cost the response states, or undefined when it does not (missing, malformed, no price). */
export function actualCost(meter: Meter, admitted: MeteredAdmission, response: ResponseFacts | undefined): number | undefined {
  if (response === undefined) return undefined;
  const { source } = meter;
  if (source.kind === 'header') return response.header === undefined ? undefined : headerUnits(response.header);
  const rates = admitted.price === undefined ? undefined : meter.prices.get(admitted.price);
  if (response.body === undefined || rates === undefined) return undefined;
  const tokens = readTokens(source.reader, response.body, response.contentType);
  return tokens === undefined ? undefined : priceTokens(tokens, rates, meter.per);
}
