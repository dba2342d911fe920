// One policy's decision pipeline: identify → route rules → one store admission (subscription,
// entitlement, rate windows, quota, credits, all atomic in the store) → Allow or Deny; a 402 with
// an x402 payment attached becomes a paid Allow. Everything caller-independent is compiled once
// in createEngine; a decision only looks things up.
import { randomUUID } from 'node:crypto';
import type { ReasonCode } from '@tollgate/policy/schema';
import type { Clock } from './clock.js';
import type { EngineConfig } from './config/engine-config.js';
import { compileIdentify, type Caller } from './compile/identity.js';
import { compileRouteMatcher } from './compile/route-matcher.js';
import { compileRouteRules, compileUsageRules } from './compile/route-rules.js';
import { decodeFollowUp, encodeFollowUp } from './follow-up.js';
import { HoldCompleter } from './hold-completion.js';
import { MeteredRoutes, type MeteredAdmission } from './metered/metered-routes.js';
import { allowedCrossings, deniedNotice, type NoticeSettings } from './notify/crossings.js';
import { Notifier } from './notify/notifier.js';
import { NO_OBSERVER, type Observer } from './ops/observer.js';
import { compileDeny, type ProblemFacts } from './responses/problem.js';
import { decisionLog, planRule, resetAtOf, resourceUrl, settlementFailed, settlementLog, type Situation } from './decision-parts.js';
import { REASONS } from './responses/reasons.js';
import { headerSeconds, rateLimitHeaders, type HeaderStyle } from './responses/ratelimit-headers.js';
import { compileRewrite, NO_REWRITE, type ApplyRewrite } from './rewrite/rewrite.js';
import { Compensations } from './compensations.js';
import { StoreCalls } from './store-calls.js';
import { StoreCallNotSentError, type Admission, type AdmissionResult, type RouteRules, type Store } from './store/store.js';
import { messageOf } from './timeout.js';
import type { Allow, Decision, DecisionLog, Deny, FollowUp, RequestFacts, ResponseFacts, UpstreamRewrite } from './types.js';
import { usageReport, USAGE_HEADERS, type UsageReport } from './usage.js';
import type { Trace } from './explain.js';
import type { Completion, Engine, EngineCompile, EngineOptions } from './engine-api.js';
import { createFacilitator, DEFAULT_FACILITATOR_TIMEOUTS } from './x402/facilitator.js';
import { NO_FACILITATOR_HEADERS } from './x402/facilitator-headers.js';
import { compileOffer, type CompiledOffer } from './x402/offer.js';
import { checkOfferSupport } from './x402/offer-support.js';
import { PaymentGate } from './x402/payment-gate.js';
import { PAYMENT_SIGNATURE_HEADER, readPayment, X_PAYMENT_HEADER, type PaymentRead } from './x402/payment-header.js';
import { answerMcp, answerUnreadable, compileMcpCalls, type McpCall, type McpUnreadable, type ReadMcpCall } from './mcp/gate.js';

export type { Completion, Engine, EngineCompile, EngineOptions, HoldOutcome, PaymentOutcome } from './engine-api.js';

export const DEGRADED_HEADER = 'Tollgate-Degraded';
export const DEFAULT_TIMEOUT_MS = 50;
/** How long a client should wait before retrying when the facilitator could not verify a payment. */
const PAYMENT_RETRY_AFTER_SECONDS = '5';

export function createEngine(config: EngineConfig, store: Store, clock: Clock, options: EngineOptions = {}): EngineCompile {
  const rewrite = compileRewrite(config.rewrite);
  if (!rewrite.ok) return { ok: false, errors: rewrite.errors };
  const meters = MeteredRoutes.compile(config);
  if (!meters.ok) return { ok: false, errors: meters.errors };
  const notifications = config.notifications;
  let secret: string | undefined;
  if (notifications !== undefined && options.notify !== false) {
    secret = (options.env ?? process.env)[notifications.secret.env];
    if (secret === undefined || secret === '') return { ok: false, errors: [`notifications.secret: the environment variable ${notifications.secret.env} is not set (the webhook signing secret)`] };
  }
  return { ok: true, engine: new PolicyEngine(config, store, clock, rewrite.apply, meters.routes, options, secret) };
}

/**
 * A decision waiting for its admission: the store's input plus what the decision is built from once
 * the store answered. One object rather than two, as this is made on every request; a store reads
 * only the Admission members.
 */
interface Pending extends Admission {
  readonly facts: RequestFacts;
  readonly caller: Caller;
  readonly route: string;
  readonly payment: PaymentRead;
  readonly metered?: MeteredAdmission;
}

const NO_PAYMENT: PaymentRead = { kind: 'none' };
const TOO_LATE = new Error('the store received the admission after its deadline and wrote nothing');
const NOTHING_TO_COMPLETE: Completion = { hold: { kind: 'none' }, payment: { kind: 'none' }, headers: {} };

class PolicyEngine implements Engine {
  readonly #match;
  readonly #identify;
  readonly #rulesFor;
  readonly #deny;
  readonly #style: HeaderStyle;
  readonly #failOpen: boolean;
  /** Failing closed on a store whose answer can come too late: only then do admissions need an id and a deadline. */
  readonly #abandonable: boolean;
  readonly #holds: boolean;
  readonly #holdCompleter: HoldCompleter;
  readonly #store: StoreCalls;
  readonly #observer: Observer;
  readonly #offer: CompiledOffer | undefined;
  readonly #payments: PaymentGate | undefined;
  readonly #compensations: Compensations;
  readonly #timeoutMs: number;
  readonly #usagePath: string | undefined;
  readonly #usageRules: RouteRules;
  /** Set when the policy's notifications are sent: the crossings each decision looks for, and who sends them. */
  readonly #notices: NoticeSettings | undefined;
  readonly #notifier: Notifier | undefined;
  readonly #mcpCall: ReadMcpCall | undefined; // set when the policy prices MCP routes (costs.mcp)
  /** Admission ids (fail closed only): this engine's random prefix and a counter, so no id costs a random draw. */
  readonly #idPrefix = `adm:${randomUUID()}.`;
  #idSeq = 0;

  constructor(
    readonly config: EngineConfig,
    store: Store,
    private readonly clock: Clock,
    private readonly rewrite: ApplyRewrite | undefined,
    private readonly metered: MeteredRoutes,
    options: EngineOptions,
    notificationSecret: string | undefined,
  ) {
    this.#match = compileRouteMatcher(config.routes, options.router ?? 'kong-atc');
    this.#identify = compileIdentify(config);
    this.#rulesFor = compileRouteRules(config);
    this.#deny = compileDeny(config);
    this.#style = config.responses?.headers ?? 'ietf';
    this.#failOpen = (config.store.onFailure ?? 'open') === 'open';
    // The memory store answers synchronously: nothing asked of it is ever abandoned, and it ignores
    // ids and deadlines, so its decisions skip making them (this runs on every request).
    this.#abandonable = !this.#failOpen && store.kind !== 'memory';
    this.#holds = config.costs.chargeOn === 'success';
    this.#observer = options.observer ?? NO_OBSERVER;
    this.#timeoutMs = config.store.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#store = new StoreCalls(store, this.#timeoutMs, this.#observer);
    this.#compensations = new Compensations(config.policy, this.#store, clock, this.#observer, config.costs.onUnsettled ?? 'release');
    this.#holdCompleter = new HoldCompleter({ policy: config.policy, chargeOnSuccess: this.#holds, metered }, this.#store, clock, this.#compensations, this.#observer);
    this.#usagePath = config.usageEndpoint;
    // Also without a usage endpoint: the admin API reports an account's usage with them (Engine.usage).
    this.#usageRules = compileUsageRules(config);
    this.#mcpCall = compileMcpCalls(config);
    const notifications = config.notifications;
    if (notifications !== undefined && notificationSecret !== undefined) {
      const thresholds = notifications.thresholds;
      this.#notices = { quotaPercent: thresholds?.quotaPercent ?? [], ...(thresholds?.creditsBelow === undefined ? {} : { creditsBelow: thresholds.creditsBelow }), paymentDenied: notifications.paymentDenied ?? true };
      this.#notifier = new Notifier({ policy: config.policy, url: notifications.url, secret: notificationSecret }, this.#store, clock, this.#compensations, this.#observer);
    }
    this.#offer = compileOffer(config.payment?.x402, config.policy);
    if (this.#offer !== undefined) {
      const url = this.#offer.facilitator;
      const facilitator = url === undefined ? undefined : createFacilitator(url, options.facilitatorTimeouts ?? DEFAULT_FACILITATOR_TIMEOUTS, { headers: options.facilitatorHeaders ?? NO_FACILITATOR_HEADERS, cdp: options.cdpAuth });
      this.#payments = new PaymentGate(config.policy, facilitator, this.#store, this.#failOpen ? undefined : { timeoutMs: this.#timeoutMs, compensations: this.#compensations }, this.#observer);
      if (facilitator !== undefined && options.checkFacilitator !== false) void checkOfferSupport(config.policy, this.#offer.options, facilitator, this.#observer);
    }
  }

  decide(facts: RequestFacts, answerBy?: number): Decision | Promise<Decision> {
    if (this.#observer === NO_OBSERVER) return this.#decide(facts, answerBy);
    const started = performance.now();
    const decision = this.#decide(facts, answerBy);
    if (!(decision instanceof Promise)) return this.#observed(decision, started);
    return decision.then((d) => this.#observed(d, started));
  }

  async complete(followUp: FollowUp, upstreamStatus: number, response?: ResponseFacts): Promise<Completion> {
    const work = decodeFollowUp(followUp);
    if (work === undefined) return { ...NOTHING_TO_COMPLETE, hold: { kind: 'failed', error: 'not a follow-up of this engine' } };
    const hold = await this.#holdCompleter.complete(work, upstreamStatus, response);
    if (work.payment === undefined || this.#payments === undefined) return { ...NOTHING_TO_COMPLETE, hold };
    const payment = await this.#payments.settle(work.payment, upstreamStatus, work.meter === undefined ? undefined : this.metered.actual(work.meter, response));
    this.#observer.settled({
      policy: this.config.policy,
      event: payment.kind === 'failed' ? 'settle-failed' : payment.kind,
      upstreamStatus,
      ...(payment.kind === 'not-settled' ? {} : settlementLog(payment)),
    });
    if (payment.kind !== 'failed') return { hold, payment, headers: payment.kind === 'settled' ? payment.headers : {} };
    return { hold, payment, headers: payment.headers, replace: settlementFailed(this.#deny, this.config.policy, work.payment, payment) };
  }

  async drained(): Promise<void> {
    // A notice's claim first: its delivery then joins the compensation queue.
    await this.#notifier?.settled();
    await this.#compensations.drained();
  }

  async explain(facts: RequestFacts): Promise<Trace> {
    const route = facts.route ?? this.#match(facts.method, facts.path, facts.host) ?? '';
    const caller = this.#identify(facts);
    const now = this.clock.now();
    const traced = { config: this.config, facts, route: route === '' ? undefined : route, caller, now };
    if (caller === undefined) return { ...traced, decision: await this.#unidentified(facts, route, NO_PAYMENT) };
    const call = this.#mcpCall?.(route, facts);
    if (call?.ok === false) return { ...traced, decision: this.#unreadable(facts, route, call) };
    const rules = this.#rulesFor(route, facts.method);
    const metered = this.metered.admission(route, facts);
    const p: Pending = { account: caller.account, scope: caller.scope, fallbackPlan: caller.fallbackPlan, now, rules, cost: call?.cost, holdKey: undefined, id: undefined, deadline: undefined, facts, caller, route, payment: NO_PAYMENT, ...metered };
    const admission = await this.#store.store.previewAdmit(p);
    return { ...traced, rules, cost: p.cost, admission, decision: await this.#decision(p, admission, false) };
  }

  async usage(facts: RequestFacts): Promise<UsageReport | undefined> {
    const caller = this.#identify(facts);
    if (caller === undefined) return undefined;
    return usageReport(caller, await this.#store.store.previewAdmit(this.#usageAdmission(caller)));
  }

  #decide(facts: RequestFacts, answerBy: number | undefined): Decision | Promise<Decision> {
    if (facts.path === this.#usagePath && (facts.method === 'GET' || facts.method === 'HEAD')) return this.#usage(facts);
    const route = facts.route ?? this.#match(facts.method, facts.path, facts.host) ?? '';
    const call = this.#mcpCall?.(route, facts);
    if (call === undefined) return this.#admit(facts, route, undefined, answerBy);
    if (!call.ok) return this.#unreadable(facts, route, call);
    const decision = this.#admit(facts, route, call, answerBy);
    return decision instanceof Promise ? decision.then((d) => answerMcp(d, call)) : answerMcp(decision, call);
  }

  #admit(facts: RequestFacts, route: string, call: McpCall | undefined, answerBy: number | undefined): Allow | Deny | Promise<Allow | Deny> {
    let pending: Pending | undefined;
    try {
      const caller = this.#identify(facts);
      const payment = this.#payments === undefined ? NO_PAYMENT : readPayment(facts.headers);
      if (caller === undefined) return this.#unidentified(facts, route, payment);
      const now = this.clock.now();
      const rules = this.#rulesFor(route, facts.method);
      const metered = this.metered.admission(route, facts);
      // A metered route always holds: its response settles the actual cost.
      const holdKey = this.#holds || metered !== undefined ? `hold:${randomUUID()}` : undefined;
      // Failing closed, an answer the engine abandons is a refusal: the admission carries an id
      // (its hold key when it holds) that its void names, and a deadline after which the store
      // refuses it: the engine's timeout, or sooner when the caller stops waiting then (its
      // refusal would come first, and the engine could not void what it never knew was refused).
      const id = this.#abandonable ? (holdKey ?? this.#idPrefix + String(++this.#idSeq)) : undefined;
      const deadline = id === undefined ? undefined : Math.min(Date.now() + this.#timeoutMs, answerBy ?? Infinity);
      const waiting: Pending = { account: caller.account, scope: caller.scope, fallbackPlan: caller.fallbackPlan, now, rules, cost: call?.cost, holdKey, id, deadline, facts, caller, route, payment, ...metered };
      pending = waiting;
      const result = this.#store.admit(waiting);
      return result instanceof Promise ? this.#whenAdmitted(result, waiting) : this.#decision(waiting, result, true);
    } catch (error) {
      return this.#storeFailed(facts, pending, error);
    }
  }

  /** Apart from #decide, so that a synchronous store's decisions do not allocate these closures' context. */
  #whenAdmitted(admitted: Promise<AdmissionResult>, p: Pending): Promise<Allow | Deny> {
    return admitted.then(
      (result) => this.#decision(p, result, true),
      (error: unknown) => this.#storeFailed(p.facts, p, error),
    );
  }

  /** An MCP body that cannot be priced is not forwarded: 400 with the JSON-RPC parse or invalid-request error. */
  #unreadable(facts: RequestFacts, route: string, unreadable: McpUnreadable): Deny {
    const log = { ...this.#log({ facts, route, caller: this.#identify(facts), rules: undefined }, undefined, 'invalid-request'), error: unreadable.cause };
    return answerUnreadable(this.#deny('invalid-request', { requestId: facts.requestId, resourceUrl: resourceUrl(facts) }, {}, log), unreadable);
  }

  #observed(decision: Decision, started: number): Decision {
    this.#observer.decided(decision.log, performance.now() - started);
    return decision;
  }

  /**
   * The caller's own usage (the policy's usageEndpoint): the store's read-only preview on the usage
   * rules, nothing charged. Only an identified caller has usage: anyone else gets the 401.
   */
  async #usage(facts: RequestFacts): Promise<Decision> {
    const caller = this.#identify(facts);
    const situation = { facts, route: '', caller, rules: undefined };
    if (caller === undefined) return this.#deny('unauthenticated', { requestId: facts.requestId, resourceUrl: resourceUrl(facts) }, {}, this.#log(situation, undefined, 'unauthenticated'));
    let result: AdmissionResult;
    try {
      result = await this.#store.run('preview-admit', (s) => s.previewAdmit(this.#usageAdmission(caller)));
    } catch (error) {
      const log = { ...this.#log(situation, undefined, 'store-unavailable'), degraded: 'closed' as const, error: messageOf(error) };
      return this.#deny('store-unavailable', { requestId: facts.requestId, resourceUrl: resourceUrl(facts) }, { 'Retry-After': '1' }, log);
    }
    const log: DecisionLog = { ...this.#log(situation, result.plan, 'allowed', 200), decision: 'respond', reason: 'usage' };
    return { kind: 'respond', status: 200, reason: 'usage', headers: { ...USAGE_HEADERS }, body: JSON.stringify(usageReport(caller, result)), log };
  }

  /** What the usage endpoint and Engine.usage preview: every plan's counters, nothing charged. */
  #usageAdmission(caller: Caller): Admission {
    return { account: caller.account, scope: caller.scope, fallbackPlan: caller.fallbackPlan, now: this.clock.now(), rules: this.#usageRules };
  }

  /** `notify`: false for a preview (explain), whose crossings are not real. */
  #decision(p: Pending, result: AdmissionResult, notify: boolean): Allow | Deny | Promise<Allow | Deny> {
    // Refused by the store for arriving too late: nothing was written, nothing to void.
    if (result.outcome === 'too-late') return this.#storeFailed(p.facts, { ...p, id: undefined }, TOO_LATE);
    const rule = planRule(p.rules, result.plan);
    const headers = rule.kind === 'check' ? rateLimitHeaders(this.#style, rule, result.windows, result.quotas, p.now) : {};
    const log = this.#log(p, result.plan, result.outcome === 'allowed' ? 'allowed' : result.outcome, result.outcome === 'allowed' ? 200 : undefined);
    if (result.outcome === 'allowed') {
      if (this.#notices !== undefined && notify) this.#noticeCrossings(this.#notices, p, result);
      const upstream = this.#upstream(p.facts, p.caller, result.plan, p.route);
      // Two literals rather than a spread: this is the hot path.
      if (p.metered !== undefined) return { kind: 'allow', responseHeaders: headers, upstream, log, ...this.metered.allow(p.route, p.caller.account, p.holdKey as string, p.metered, p.facts.requestId) };
      if (p.holdKey === undefined || (result.charged === 0 && result.quotas.length === 0)) return { kind: 'allow', responseHeaders: headers, upstream, log };
      const followUp = encodeFollowUp({ hold: { account: p.caller.account, key: p.holdKey } });
      return { kind: 'allow', responseHeaders: headers, upstream, followUp, log };
    }
    const outcome = result.outcome as ReasonCode;
    // A caller the plan makes pay (402) may pay for this one request instead.
    if (p.payment.kind !== 'none' && REASONS[outcome].status === 402) return this.#pay(p, p.payment, result.plan, p.metered);
    if (this.#notices !== undefined && notify) this.#noticeRefusal(this.#notices, p, result, outcome);
    if (outcome === 'rate-limited') headers['Retry-After'] = String(headerSeconds(result.retryAfterMs ?? 0));
    return this.#deny(
      outcome,
      {
        requestId: p.facts.requestId,
        plan: result.plan,
        violated: result.violated,
        resetAt: resetAtOf(outcome, result, p.now),
        balance: outcome === 'insufficient-credits' ? result.account.credits : undefined,
        cost: outcome === 'insufficient-credits' || outcome === 'quota-exhausted' ? (p.cost ?? p.rules.cost) : undefined,
        resourceUrl: resourceUrl(p.facts),
        route: p.route,
      },
      headers,
      log,
    );
  }

  #noticeCrossings(settings: NoticeSettings, p: Pending, result: AdmissionResult): void {
    const notices = allowedCrossings(settings, this.config.policy, p.account, result, p.cost ?? p.rules.cost);
    if (notices !== undefined) this.#notifier?.send(notices);
  }

  #noticeRefusal(settings: NoticeSettings, p: Pending, result: AdmissionResult, reason: ReasonCode): void {
    const notice = deniedNotice(settings, this.config.policy, p.account, result, reason, p.now);
    if (notice !== undefined) this.#notifier?.send([notice]);
  }

  #unidentified(facts: RequestFacts, route: string, payment: PaymentRead): Allow | Deny | Promise<Allow | Deny> {
    const anonymous = this.config.identity.anonymous === true;
    const situation = { facts, route, caller: undefined, rules: undefined };
    if (anonymous && payment.kind !== 'none') return this.#pay({ ...situation, now: this.clock.now() }, payment, undefined);
    // Anonymous callers may only pay per request: without a payment they get the 402 challenge.
    const reason: ReasonCode = anonymous ? 'payment-required' : 'unauthenticated';
    return this.#deny(reason, { requestId: facts.requestId, resourceUrl: resourceUrl(facts), route }, {}, this.#log(situation, undefined, reason));
  }

  async #pay(s: Situation & { readonly now: number }, payment: Exclude<PaymentRead, { kind: 'none' }>, plan: string | undefined, meteredAdmission?: MeteredAdmission): Promise<Allow | Deny> {
    const gate = this.#payments as PaymentGate;
    const offer = (this.#offer as CompiledOffer).requirements(s.route, resourceUrl(s.facts));
    const problem: ProblemFacts = { requestId: s.facts.requestId, resourceUrl: offer.resource.url, route: s.route, ...(plan === undefined ? {} : { plan }) };
    if (payment.kind === 'malformed') {
      this.#observer.payment(this.config.policy, 'invalid');
      return this.#deny('payment-malformed', { ...problem, paymentError: payment.reason }, {}, this.#log(s, plan, 'payment-malformed'));
    }
    const admitted = await gate.accept(payment.payment, offer, s.route, s.now);
    if (admitted.kind === 'store-unavailable') {
      const log = { ...this.#log(s, plan, 'store-unavailable'), degraded: 'closed' as const, error: admitted.error };
      return this.#deny('store-unavailable', problem, { 'Retry-After': '1' }, log);
    }
    if (admitted.kind === 'refused') {
      const headers: Record<string, string> = admitted.reason === 'payment-unavailable' ? { 'Retry-After': PAYMENT_RETRY_AFTER_SECONDS } : {};
      return this.#deny(admitted.reason, { ...problem, paymentError: admitted.paymentError, approve: admitted.approve }, headers, { ...this.#log(s, plan, admitted.reason), error: admitted.error });
    }
    const upstream = this.#upstream(s.facts, s.caller, plan, s.route);
    const metered = this.metered.paid(s.route, s.facts, meteredAdmission);
    const log: DecisionLog = {
      ...this.#log(s, plan, 'allowed', 200),
      paid: true,
      ...(admitted.payer === undefined ? {} : { payer: admitted.payer }),
      ...(admitted.degraded === undefined ? {} : { degraded: 'open' as const, error: admitted.degraded }),
    };
    return {
      kind: 'allow',
      responseHeaders: admitted.degraded === undefined ? {} : { [DEGRADED_HEADER]: 'store-unavailable' },
      // The upstream gets the request, not the payer's authorisation (it could settle it itself).
      upstream: { ...upstream, removeHeaders: [...upstream.removeHeaders, PAYMENT_SIGNATURE_HEADER, X_PAYMENT_HEADER] },
      followUp: encodeFollowUp({ payment: admitted.hold, ...(metered === undefined ? {} : { meter: metered.meter }) }),
      ...(metered === undefined ? {} : { observe: metered.observe }),
      log,
    };
  }

  #storeFailed(facts: RequestFacts, p: Pending | undefined, error: unknown): Allow | Deny {
    const route = p?.route ?? facts.route ?? '';
    const base = { facts, route, caller: p?.caller, rules: p?.rules, cost: p?.cost };
    if (this.#failOpen) {
      const log = { ...this.#log(base, undefined, 'allowed', 200), degraded: 'open' as const, error: messageOf(error) };
      return {
        kind: 'allow',
        responseHeaders: { [DEGRADED_HEADER]: 'store-unavailable' },
        upstream: p === undefined ? NO_REWRITE : this.#upstream(facts, p.caller, undefined, route),
        ...this.metered.unsettled(route),
        log,
      };
    }
    // The admission may have run (or may still run): its void undoes it, so a refusal costs nothing.
    if (p?.id !== undefined && !(error instanceof StoreCallNotSentError)) this.#compensations.voidAdmission(p.account, p.id);
    const log = { ...this.#log(base, undefined, 'store-unavailable'), degraded: 'closed' as const, error: messageOf(error) };
    return this.#deny('store-unavailable', { requestId: facts.requestId, resourceUrl: resourceUrl(facts) }, { 'Retry-After': '1' }, log);
  }

  #upstream(facts: RequestFacts, caller: Caller | undefined, plan: string | undefined, route: string): UpstreamRewrite {
    // Without rewrites, no template context is built: this runs on every allowed request.
    if (this.rewrite === undefined) return NO_REWRITE;
    return this.rewrite({ facts, consumer: caller?.consumer, credential: caller?.credential, plan, route: route === '' ? undefined : route });
  }

  #log(s: Situation, plan: string | undefined, reason: ReasonCode | 'allowed', status?: number): DecisionLog {
    return decisionLog(this.config.policy, s, plan, reason, status);
  }
}
