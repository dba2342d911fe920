// One policy's decision pipeline: identify → route rules → one store admission (subscription,
// entitlement, rate windows, quota, credits, all atomic in the store) → Allow or Deny. Everything
// caller-independent is compiled once in createEngine; a decision only looks things up.
import { randomUUID } from 'node:crypto';
import type { ReasonCode } from '@tollgate/policy/schema';
import type { Clock } from './clock.js';
import type { EngineConfig } from './config/engine-config.js';
import { compileIdentify, type Caller } from './compile/identity.js';
import { compileRouteMatcher } from './compile/route-matcher.js';
import { compileRouteRules } from './compile/route-rules.js';
import { compileDeny } from './responses/problem.js';
import { REASONS } from './responses/reasons.js';
import { addRateLimitHeaders, headerSeconds, type HeaderStyle } from './responses/ratelimit-headers.js';
import { compileRewrite, NO_REWRITE, type ApplyRewrite } from './rewrite/rewrite.js';
import type { AdmissionResult, PlanRule, RouteRules, Store } from './store/store.js';
import type { Decision, DecisionLog, FollowUp, RequestFacts } from './types.js';

export const DEGRADED_HEADER = 'Tollgate-Degraded';
export const DEFAULT_TIMEOUT_MS = 50;

export interface Engine {
  readonly config: EngineConfig;
  /** Never rejects and never throws: a store failure becomes the policy's failure-mode decision. Await it. */
  decide(facts: RequestFacts): Decision | Promise<Decision>;
  /** After the upstream answered: gives back what a `chargeOn: success` admission held when it failed (≥ 500). Never rejects. */
  complete(followUp: FollowUp, upstreamStatus: number): Promise<CompleteResult>;
}

export type CompleteResult =
  | { readonly kind: 'kept' }
  | { readonly kind: 'released'; readonly credits: number }
  | { readonly kind: 'nothing-held' }
  | { readonly kind: 'failed'; readonly error: string };

export class StoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`store did not answer within ${ms} ms`);
  }
}

export type EngineCompile = { readonly ok: true; readonly engine: Engine } | { readonly ok: false; readonly errors: readonly string[] };

export function createEngine(config: EngineConfig, store: Store, clock: Clock): EngineCompile {
  const rewrite = compileRewrite(config.rewrite);
  if (!rewrite.ok) return { ok: false, errors: rewrite.errors };
  return { ok: true, engine: new PolicyEngine(config, store, clock, rewrite.apply) };
}

interface Pending {
  readonly facts: RequestFacts;
  readonly caller: Caller;
  readonly route: string;
  readonly rules: RouteRules;
  readonly now: number;
  readonly holdKey: string | undefined;
}

class PolicyEngine implements Engine {
  readonly #match;
  readonly #identify;
  readonly #rulesFor;
  readonly #deny;
  readonly #style: HeaderStyle;
  readonly #timeoutMs: number;
  readonly #failOpen: boolean;
  readonly #holds: boolean;

  constructor(
    readonly config: EngineConfig,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly rewrite: ApplyRewrite,
  ) {
    this.#match = compileRouteMatcher(config.routes);
    this.#identify = compileIdentify(config);
    this.#rulesFor = compileRouteRules(config);
    this.#deny = compileDeny(config);
    this.#style = config.responses?.headers ?? 'ietf';
    this.#timeoutMs = config.store.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#failOpen = (config.store.onFailure ?? 'open') === 'open';
    this.#holds = config.costs.chargeOn === 'success';
  }

  decide(facts: RequestFacts): Decision | Promise<Decision> {
    let pending: Pending | undefined;
    try {
      const route = facts.route ?? this.#match(facts.method, facts.path, facts.host) ?? '';
      const caller = this.#identify(facts);
      if (caller === undefined) return this.#unidentified(facts, route);
      const now = this.clock.now();
      const rules = this.#rulesFor(route, facts.method);
      pending = { facts, caller, route, rules, now, holdKey: this.#holds ? `hold:${randomUUID()}` : undefined };
      const result = this.store.admit({
        account: caller.account,
        scope: caller.scope,
        fallbackPlan: caller.fallbackPlan,
        now,
        rules,
        ...(pending.holdKey === undefined ? {} : { holdKey: pending.holdKey }),
      });
      if (!(result instanceof Promise)) return this.#decision(pending, result);
      const waiting = pending;
      return withTimeout(result, this.#timeoutMs).then(
        (r) => this.#decision(waiting, r),
        (error: unknown) => this.#storeFailed(facts, waiting, error),
      );
    } catch (error) {
      return this.#storeFailed(facts, pending, error);
    }
  }

  async complete(followUp: FollowUp, upstreamStatus: number): Promise<CompleteResult> {
    if (upstreamStatus < 500) return { kind: 'kept' };
    const hold = parseFollowUp(followUp);
    if (hold === undefined) return { kind: 'failed', error: 'not a follow-up of this engine' };
    try {
      const released = await withTimeout(Promise.resolve(this.store.release(hold.account, hold.key, this.clock.now())), this.#timeoutMs);
      return released;
    } catch (error) {
      return { kind: 'failed', error: messageOf(error) };
    }
  }

  #decision(p: Pending, result: AdmissionResult): Decision {
    const rule = planRule(p.rules, result.plan);
    const headers: Record<string, string> = {};
    if (rule.kind === 'check') addRateLimitHeaders(headers, this.#style, rule, result.windows, result.quotas, p.now);
    const log = this.#log(p, result.plan, result.outcome === 'allowed' ? 'allowed' : result.outcome, result.outcome === 'allowed' ? 200 : undefined);
    if (result.outcome === 'allowed') {
      const held = p.holdKey !== undefined && (result.charged > 0 || result.quotas.length > 0);
      return {
        kind: 'allow',
        responseHeaders: headers,
        upstream: this.#upstream(p.facts, p.caller, result.plan, p.route),
        ...(held ? { followUp: { id: JSON.stringify([p.caller.account, p.holdKey]) } } : {}),
        log,
      };
    }
    const outcome = result.outcome;
    if (outcome === 'rate-limited') headers['Retry-After'] = String(headerSeconds(result.retryAfterMs ?? 0));
    return this.#deny(
      outcome,
      {
        requestId: p.facts.requestId,
        plan: result.plan,
        violated: result.violated,
        resetAt: resetAtOf(outcome, result, p.now),
        balance: outcome === 'insufficient-credits' ? result.account.credits : undefined,
        cost: outcome === 'insufficient-credits' || outcome === 'quota-exhausted' ? p.rules.cost : undefined,
        resourceUrl: resourceUrl(p.facts),
      },
      headers,
      log,
    );
  }

  #unidentified(facts: RequestFacts, route: string): Decision {
    // Anonymous callers may only pay per request: without a payment they get the 402 challenge.
    const reason: ReasonCode = this.config.identity.anonymous === true ? 'subscription-inactive' : 'unauthenticated';
    const log = this.#log({ facts, route, caller: undefined, rules: undefined }, undefined, reason);
    return this.#deny(reason, { requestId: facts.requestId, resourceUrl: resourceUrl(facts) }, {}, log);
  }

  #storeFailed(facts: RequestFacts, p: Pending | undefined, error: unknown): Decision {
    const route = p?.route ?? facts.route ?? '';
    const base = { facts, route, caller: p?.caller, rules: p?.rules };
    if (this.#failOpen) {
      const log = { ...this.#log(base, undefined, 'allowed', 200), degraded: 'open' as const, error: messageOf(error) };
      return {
        kind: 'allow',
        responseHeaders: { [DEGRADED_HEADER]: 'store-unavailable' },
        upstream: p === undefined ? NO_REWRITE : this.#upstream(facts, p.caller, undefined, route),
        log,
      };
    }
    const log = { ...this.#log(base, undefined, 'store-unavailable'), degraded: 'closed' as const, error: messageOf(error) };
    return this.#deny('store-unavailable', { requestId: facts.requestId, resourceUrl: resourceUrl(facts) }, { 'Retry-After': '1' }, log);
  }

  #upstream(facts: RequestFacts, caller: Caller, plan: string | undefined, route: string) {
    return this.rewrite({ facts, consumer: caller.consumer, credential: caller.credential, plan, route: route === '' ? undefined : route });
  }

  #log(
    p: { readonly facts: RequestFacts; readonly route: string; readonly caller: Caller | undefined; readonly rules: RouteRules | undefined },
    plan: string | undefined,
    reason: ReasonCode | 'allowed',
    status?: number,
  ): DecisionLog {
    const log: { -readonly [K in keyof DecisionLog]: DecisionLog[K] } = {
      policy: this.config.policy,
      decision: reason === 'allowed' ? 'allow' : 'deny',
      reason,
      status: status ?? statusOf(reason),
      cost: p.rules?.cost ?? 0,
    };
    const consumer = p.caller?.consumer ?? p.caller?.account;
    if (consumer !== undefined) log.consumer = consumer;
    if (p.route !== '') log.route = p.route;
    if (plan !== undefined) log.plan = plan;
    return log;
  }
}

function statusOf(reason: ReasonCode | 'allowed'): number {
  return reason === 'allowed' ? 200 : REASONS[reason].status;
}

function planRule(rules: RouteRules, plan: string | undefined): PlanRule {
  return plan === undefined ? rules.noPlan : (rules.plans[plan] ?? rules.noPlan);
}

function resetAtOf(outcome: ReasonCode, result: AdmissionResult, now: number): number | undefined {
  if (outcome === 'rate-limited') return now + (result.retryAfterMs ?? 0);
  if (outcome !== 'quota-exhausted') return undefined;
  // Quotas of one plan share the billing period; the latest end is when all of them are fresh.
  return result.quotas.reduce<number | undefined>((latest, q) => Math.max(latest ?? 0, q.resetAt), undefined);
}

function resourceUrl(facts: RequestFacts): string {
  return facts.host === undefined ? facts.path : `${facts.scheme ?? 'http'}://${facts.host}${facts.path}`;
}

function parseFollowUp(followUp: FollowUp): { account: string; key: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(followUp.id);
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      return { account: parsed[0], key: parsed[1] };
    }
  } catch {
    // Not ours: reported below.
  }
  return undefined;
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new StoreTimeoutError(ms));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
