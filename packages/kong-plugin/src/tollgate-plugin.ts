// The kong-pdk plugin classes, one per Kong plugin, each with only the phases its policies need
// (Kong calls every phase a plugin has on every request it guards): `Plugin` (tollgate: access),
// `ChargeOnSuccessPlugin` (tollgate-charge-on-success: adds log) and `X402Plugin` (tollgate-x402:
// adds response). One instance per StartInstance (per config and nginx worker), so the constructor
// only looks up the engine the shared runtime compiled for this config; stores and their
// connections live in the runtime, shared by every instance and reused across config changes.
import {
  captureBody,
  createRuntime,
  entryIsMetered,
  entryResponseWork,
  kongObservedHeaderKey,
  routeObservation,
  type Completion,
  type Engine,
  type EngineConfig,
  type GatewayRouter,
  type ResponseFacts,
  type ResponseObservation,
  type Runtime,
} from '@tollgate/engine';
import { applyAllow, applyAnswer } from './apply-decision.js';
import type { KongPdk } from './kong-pdk.js';
import { PLUGIN_FOR_WORK, PLUGIN_NAMES, TOLLGATE, TOLLGATE_CHARGE_ON_SUCCESS, TOLLGATE_X402, type PluginName } from './plugin-info.js';
import { gatherFacts, planFacts, type FactPlan } from './request-facts.js';

/** The plugin entry's config as Kong hands it over (plus Kong's __plugin_id, __seq__, … keys). */
export interface PluginConfig {
  readonly policy?: unknown;
  readonly route?: unknown;
}

export class InvalidPluginConfigError extends Error {
  override readonly name = 'InvalidPluginConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`tollgate: invalid plugin config (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`);
  }
}

export const X402_NEEDS_RESPONSE_PHASE =
  'policy/payment/x402: an x402 offer settles before the response is sent, which needs the response phase: configure this policy on the tollgate-x402 plugin (tollgate compile does)';
export const CHARGE_ON_SUCCESS_NEEDS_LOG_PHASE =
  'policy/costs/chargeOn: success commits or gives back each charge once the upstream answered, which needs the log phase: configure this policy on the tollgate-charge-on-success plugin (tollgate compile does)';
export const METERED_BODY_NEEDS_RESPONSE_PHASE =
  'policy/costs/metered: this entry\'s routes read their cost from the response body, which a plugin server sees only in the response phase: configure this entry on the tollgate-x402 plugin (tollgate compile does)';
export const METERED_NEEDS_LOG_PHASE =
  'policy/costs/metered: a metered route settles its cost once the upstream answered, which needs the log phase: configure this entry on the tollgate-charge-on-success plugin (tollgate compile does)';

/** Why a plugin refuses an entry that needs a plugin with more phases, or undefined when it can run it. */
function missingPhase(own: PluginName, config: EngineConfig, route: string | undefined): string | undefined {
  const { work, why } = entryResponseWork(config, route);
  if (why === undefined || PLUGIN_NAMES.indexOf(PLUGIN_FOR_WORK[work]) <= PLUGIN_NAMES.indexOf(own)) return undefined;
  switch (why) {
    case 'payment/x402':
      return X402_NEEDS_RESPONSE_PHASE;
    case 'costs/chargeOn':
      return CHARGE_ON_SUCCESS_NEEDS_LOG_PHASE;
    case 'costs/metered':
      return work === 'whole-response' ? METERED_BODY_NEEDS_RESPONSE_PHASE : METERED_NEEDS_LOG_PHASE;
  }
}

let runtime: Runtime | undefined;

/** kong.conf's router_flavor, which the plugin server cannot read from Kong: the operator repeats it here. */
export const ROUTER_FLAVOR_ENV = 'TOLLGATE_KONG_ROUTER_FLAVOR';
const ROUTER_FLAVORS: Readonly<Record<string, GatewayRouter>> = { traditional: 'kong-traditional', traditional_compatible: 'kong-atc', expressions: 'kong-atc' };

/** The router an entry not pinned to its route matches as; Kong's default flavour when unset. */
export function routerFromEnv(env: Readonly<Record<string, string | undefined>>): GatewayRouter {
  const flavor = env[ROUTER_FLAVOR_ENV] ?? 'traditional_compatible';
  const router = ROUTER_FLAVORS[flavor];
  if (router === undefined) throw new InvalidPluginConfigError([`${ROUTER_FLAVOR_ENV}: "${flavor}" is not a Kong router_flavor (${Object.keys(ROUTER_FLAVORS).join(', ')})`]);
  return router;
}

// Created on first use, not at load: the query command (--dump-all-plugins) loads this module too
// and must exit at once, with nothing but JSON on stdout.
function sharedRuntime(): Runtime {
  runtime ??= createRuntime({ env: process.env, router: routerFromEnv(process.env) });
  return runtime;
}

// Access hands a follow-up to the phases after the response through kong.ctx.shared (one per
// request). Follow-ups handed out and not yet completed are counted across all instances: while
// none is outstanding the response and log phases answer without a single PDK call.
const FOLLOW_UP_KEY = 'tollgate.follow-up';
/** Allow.observe of a metered route's decision, as JSON, for the phase that completes it. */
const OBSERVE_KEY = 'tollgate.observe';
/** What the response phase leaves in kong.ctx.shared once it completed the follow-up. */
const COMPLETED = '';
let outstanding = 0;

async function keepFollowUp(kong: KongPdk, id: string): Promise<void> {
  await kong.ctx.shared.set(FOLLOW_UP_KEY, id);
  outstanding += 1;
}

/** The follow-up left by access, once: `markDone` tells the log phase that the response phase completed it. */
async function takeFollowUp(kong: KongPdk, markDone: boolean): Promise<string | undefined> {
  if (outstanding === 0) return undefined;
  const id = await kong.ctx.shared.get(FOLLOW_UP_KEY);
  if (typeof id !== 'string' || id === COMPLETED) return undefined;
  outstanding = Math.max(0, outstanding - 1);
  if (markDone) await kong.ctx.shared.set(FOLLOW_UP_KEY, COMPLETED);
  return id;
}

/** `tollgate`: the access phase only, so Kong sends nothing to the plugin server after the response. */
export class Plugin {
  static readonly pluginName: PluginName = TOLLGATE;
  protected readonly engine: Engine;
  readonly #plan: FactPlan;

  constructor(config: PluginConfig) {
    const problems: string[] = [];
    if (typeof config.policy !== 'string') problems.push('/policy: must be a string (the EngineConfig JSON emitted by tollgate compile)');
    if (config.route !== undefined && config.route !== null && typeof config.route !== 'string') problems.push('/route: must be a string');
    const compiled = typeof config.policy === 'string' ? sharedRuntime().engineFor(config.policy) : undefined;
    if (compiled && !compiled.ok) problems.push(...compiled.errors.map((e) => `policy${e.startsWith('/') ? e : `: ${e}`}`));
    const route = typeof config.route === 'string' ? config.route : undefined;
    const missing = compiled?.ok === true ? missingPhase(new.target.pluginName, compiled.engine.config, route) : undefined;
    if (missing !== undefined) problems.push(missing);
    if (!compiled?.ok || problems.length > 0) throw new InvalidPluginConfigError(problems);
    this.engine = compiled.engine;
    this.#plan = planFacts(compiled.engine.config, route);
    this.metered = entryIsMetered(compiled.engine.config, route);
    this.#pinned = route !== undefined;
    this.#pinnedObservation = route === undefined ? undefined : routeObservation(compiled.engine.config, route);
  }

  /** Whether a route of this entry is metered: only then do the phases after the response read what access asked them to observe. */
  protected readonly metered: boolean;
  /**
   * An entry pinned to a route observes that route's response the same way on every request, so
   * its phases after the response know it without a kong.ctx.shared round trip; only the unpinned
   * (service) entry passes the decision's Allow.observe along that way.
   */
  readonly #pinned: boolean;
  readonly #pinnedObservation: ResponseObservation | undefined;

  /** The decision's Allow.observe: the pinned route's own, or what access left in kong.ctx.shared. */
  protected async observation(kong: KongPdk): Promise<ResponseObservation | undefined> {
    if (this.#pinned) return this.#pinnedObservation;
    const text = await kong.ctx.shared.get(OBSERVE_KEY);
    return typeof text === 'string' ? (JSON.parse(text) as ResponseObservation) : undefined;
  }

  async access(kong: KongPdk): Promise<void> {
    const { facts, rawQuery } = await gatherFacts(kong, this.#plan);
    const decision = await this.engine.decide(facts);
    if (decision.kind !== 'allow') {
      await applyAnswer(kong, decision);
      return;
    }
    await applyAllow(kong, decision, rawQuery);
    // Only chargeOn: success, metered routes and x402 make follow-ups: policies `tollgate` refuses.
    if (decision.followUp) await keepFollowUp(kong, decision.followUp.id);
    if (decision.observe !== undefined && !this.#pinned) await kong.ctx.shared.set(OBSERVE_KEY, JSON.stringify(decision.observe));
  }
}

/** `tollgate-charge-on-success`: adds the log phase, which completes chargeOn: success holds. */
export class ChargeOnSuccessPlugin extends Plugin {
  static override readonly pluginName: PluginName = TOLLGATE_CHARGE_ON_SUCCESS;

  /**
   * After the response: commits or releases a chargeOn-success hold from the final status. In
   * `tollgate-x402` it completes what the response phase could not (Kong skips it for HTTP/2 and
   * upgraded connections, and when it answered itself, e.g. 502 when the upstream is unreachable);
   * a payment settled here can no longer add PAYMENT-RESPONSE or turn the answer into a 402.
   */
  async log(kong: KongPdk): Promise<void> {
    const id = await takeFollowUp(kong, false);
    if (id === undefined) return;
    const status = (await kong.response.getStatus()) ?? 0;
    const completion = await this.complete(kong, id, status, await this.#loggedResponse(kong, status));
    if (completion.replace !== undefined) await kong.log.err(`tollgate: payment settlement failed after the response was sent (status ${String(status)})`);
  }

  /**
   * A metered route's response as the log phase sees it: the cost header's value, which the
   * compiler's post-function took off the client's response in header_filter and kept in
   * kong.ctx.shared (the log phase runs in a timer: the upstream's headers are gone by then). A
   * body is never at hand here: a route metered by its body completes in the response phase, and
   * when Kong skipped that phase its cost is unread.
   */
  async #loggedResponse(kong: KongPdk, status: number): Promise<ResponseFacts | undefined> {
    if (!this.metered) return undefined;
    const observe = await this.observation(kong);
    if (observe?.header === undefined) return observe === undefined ? undefined : { status };
    const header = await kong.ctx.shared.get(kongObservedHeaderKey(observe.header));
    return typeof header === 'string' ? { status, header } : { status };
  }

  protected async complete(kong: KongPdk, id: string, status: number, response?: ResponseFacts): Promise<Completion> {
    const completion = await this.engine.complete({ id }, status, response);
    if (completion.hold.kind === 'failed') await kong.log.err(`tollgate: follow-up after status ${String(status)} failed: ${completion.hold.error}`);
    return completion;
  }
}

/**
 * A metered route's response in the response phase, where Kong holds the upstream's whole answer
 * (buffered proxying) and has copied its headers onto the client's response: the cost header is
 * read and cleared, the body captured as the streaming adapters capture it.
 */
async function bufferedResponse(kong: KongPdk, status: number, observe: ResponseObservation | undefined): Promise<ResponseFacts | undefined> {
  if (observe === undefined) return undefined;
  let header: string | undefined;
  if (observe.header !== undefined) {
    header = await kong.service.response.getHeader(observe.header);
    await kong.response.clearHeader(observe.header);
  }
  const body = observe.body === true ? captureBody(asBytes(await kong.service.response.getRawBody())) : undefined;
  const contentType = observe.body === true ? await kong.service.response.getHeader('content-type') : undefined;
  return { status, ...(header === undefined ? {} : { header }), ...(body === undefined ? {} : { body }), ...(contentType === undefined ? {} : { contentType }) };
}

/** kong-pdk hands Lua strings Kong packs as binary over as a Buffer. */
function asBytes(value: Uint8Array | string | undefined): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : (value ?? new Uint8Array());
}

/**
 * `tollgate-x402`: adds the response phase, which makes Kong buffer every response of the routes
 * it guards (the price of settling before the client sees the answer), so the compiler uses it
 * only for policies with an x402 offer.
 */
export class X402Plugin extends ChargeOnSuccessPlugin {
  static override readonly pluginName: PluginName = TOLLGATE_X402;

  /**
   * Buffered proxying: the upstream answered and nothing has reached the client yet. Commits or
   * releases a chargeOn-success hold, settles an x402 payment (< 400) and adds PAYMENT-RESPONSE,
   * or answers 402 instead when settlement failed.
   */
  async response(kong: KongPdk): Promise<void> {
    const id = await takeFollowUp(kong, true);
    if (id === undefined) return;
    const status = (await kong.service.response.getStatus()) ?? 0;
    const completion = await this.complete(kong, id, status, this.metered ? await bufferedResponse(kong, status, await this.observation(kong)) : undefined);
    if (completion.replace !== undefined) {
      await applyAnswer(kong, completion.replace);
      return;
    }
    if (Object.keys(completion.headers).length > 0) await kong.response.setHeaders(completion.headers);
  }
}
