// The kong-pdk plugin classes, `Plugin` (tollgate) and `X402Plugin` (tollgate-x402): one instance
// per StartInstance (per config and nginx worker), so the constructor only looks up the engine the
// shared runtime compiled for this config; stores and their connections live in the runtime,
// shared by every instance and reused across config changes.
import { createRuntime, type Engine, type Runtime } from '@tollgate/engine';
import { applyAllow, applyDeny } from './apply-decision.js';
import type { KongPdk } from './kong-pdk.js';
import { pluginNameFor, TOLLGATE_X402 } from './plugin-info.js';
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

const FOLLOW_UP_KEY = 'tollgate.follow-up';
/** What the response phase leaves in kong.ctx.shared once it completed the follow-up. */
const COMPLETED = '';

let runtime: Runtime | undefined;
// Follow-ups handed out and not yet completed, across all instances: while none is outstanding
// the response and log phases answer without a single PDK call.
let outstanding = 0;

// Created on first use, not at load: the query command (--dump-all-plugins) loads this module too
// and must exit at once, with nothing but JSON on stdout.
function sharedRuntime(): Runtime {
  runtime ??= createRuntime({ env: process.env });
  return runtime;
}

export class Plugin {
  readonly #engine: Engine;
  readonly #plan: FactPlan;

  constructor(config: PluginConfig) {
    const problems: string[] = [];
    if (typeof config.policy !== 'string') problems.push('/policy: must be a string (the EngineConfig JSON emitted by tollgate compile)');
    if (config.route !== undefined && config.route !== null && typeof config.route !== 'string') problems.push('/route: must be a string');
    const compiled = typeof config.policy === 'string' ? sharedRuntime().engineFor(config.policy) : undefined;
    if (compiled && !compiled.ok) problems.push(...compiled.errors.map((e) => `policy${e.startsWith('/') ? e : `: ${e}`}`));
    if (compiled?.ok === true && pluginNameFor(compiled.engine.config) === TOLLGATE_X402 && !this.settlesBeforeResponse) problems.push(X402_NEEDS_RESPONSE_PHASE);
    if (!compiled?.ok || problems.length > 0) throw new InvalidPluginConfigError(problems);
    this.#engine = compiled.engine;
    this.#plan = planFacts(compiled.engine.config, typeof config.route === 'string' ? config.route : undefined);
  }

  /** Whether this plugin has the response phase an x402 settlement needs. */
  protected get settlesBeforeResponse(): boolean {
    return false;
  }

  async access(kong: KongPdk): Promise<void> {
    const { facts, rawQuery } = await gatherFacts(kong, this.#plan);
    const decision = await this.#engine.decide(facts);
    if (decision.kind === 'deny') {
      await applyDeny(kong, decision);
      return;
    }
    await applyAllow(kong, decision, rawQuery);
    if (decision.followUp) {
      await kong.ctx.shared.set(FOLLOW_UP_KEY, decision.followUp.id);
      outstanding += 1;
    }
  }

  /**
   * After the response: commits or releases a chargeOn-success hold from the final status. In
   * `tollgate-x402` it completes what the response phase could not (Kong skips it for HTTP/2 and
   * upgraded connections, and when it answered itself, e.g. 502 when the upstream is unreachable);
   * a payment settled here can no longer add PAYMENT-RESPONSE or turn the answer into a 402.
   */
  async log(kong: KongPdk): Promise<void> {
    const id = await this.takeFollowUp(kong, false);
    if (id === undefined) return;
    const status = (await kong.response.getStatus()) ?? 0;
    const completion = await this.complete(kong, id, status);
    if (completion.replace !== undefined) await kong.log.err(`tollgate: payment settlement failed after the response was sent (status ${String(status)})`);
  }

  /** The follow-up left by access, once: `markDone` tells the log phase that the response phase completed it. */
  protected async takeFollowUp(kong: KongPdk, markDone: boolean): Promise<string | undefined> {
    if (outstanding === 0) return undefined;
    const id = await kong.ctx.shared.get(FOLLOW_UP_KEY);
    if (typeof id !== 'string' || id === COMPLETED) return undefined;
    outstanding = Math.max(0, outstanding - 1);
    if (markDone) await kong.ctx.shared.set(FOLLOW_UP_KEY, COMPLETED);
    return id;
  }

  protected async complete(kong: KongPdk, id: string, status: number) {
    const completion = await this.#engine.complete({ id }, status);
    if (completion.hold.kind === 'failed') await kong.log.err(`tollgate: follow-up after status ${String(status)} failed: ${completion.hold.error}`);
    return completion;
  }
}

/**
 * `tollgate-x402`: adds the response phase, which makes Kong buffer every response of the routes
 * it guards (the price of settling before the client sees the answer), so the compiler uses it
 * only for policies with an x402 offer.
 */
export class X402Plugin extends Plugin {
  protected override get settlesBeforeResponse(): boolean {
    return true;
  }

  /**
   * Buffered proxying: the upstream answered and nothing has reached the client yet. Commits or
   * releases a chargeOn-success hold, settles an x402 payment (< 400) and adds PAYMENT-RESPONSE,
   * or answers 402 instead when settlement failed.
   */
  async response(kong: KongPdk): Promise<void> {
    const id = await this.takeFollowUp(kong, true);
    if (id === undefined) return;
    const status = (await kong.service.response.getStatus()) ?? 0;
    const completion = await this.complete(kong, id, status);
    if (completion.replace !== undefined) {
      await applyDeny(kong, completion.replace);
      return;
    }
    if (Object.keys(completion.headers).length > 0) await kong.response.setHeaders(completion.headers);
  }
}
