// The engine's contract with the gateway runtimes and tools: what an Engine does, what completing
// a follow-up returns, and the options it is created with. engine.ts implements it.
import type { EngineConfig } from './config/engine-config.js';
import type { Trace } from './explain.js';
import type { GatewayRouter } from './compile/route-matcher.js';
import type { Observer } from './ops/observer.js';
import type { HoldResult } from './store/store.js';
import type { Decision, Deny, FollowUp, RequestFacts, ResponseFacts } from './types.js';
import type { UsageReport } from './usage.js';
import type { FacilitatorTimeouts } from './x402/facilitator.js';
import type { CdpAuth } from './x402/cdp-auth.js';
import type { FacilitatorHeaders } from './x402/facilitator-headers.js';
import type { PaymentSettlement } from './x402/payment-gate.js';

export interface Engine {
  readonly config: EngineConfig;
  /**
   * Never rejects and never throws: a store failure becomes the policy's failure-mode decision. Await it.
   * `answerBy` (ms since the epoch): when the caller stops waiting and applies the policy's failure
   * mode itself (the Lua adapters' timeout); failing closed, the store refuses an admission that
   * would run after it, so a request the caller refused is never charged.
   */
  decide(facts: RequestFacts, answerBy?: number): Decision | Promise<Decision>;
  /**
   * After the upstream answered (`upstreamStatus`): commits a `chargeOn: success` hold (< 500) or
   * gives it back (≥ 500), and settles a payment (< 400) or lets it go unspent (≥ 400). A metered
   * route's hold is settled at the cost `response` states (what `Allow.observe` asked to capture);
   * without a readable one, at its estimate. Never rejects.
   */
  complete(followUp: FollowUp, upstreamStatus: number, response?: ResponseFacts): Promise<Completion>;
  /**
   * Resolves once no compensation of this engine is pending: every void of an admission or payment
   * claim it abandoned and answered with a refusal, and every completion sent again after its
   * first attempt failed, has landed or was given up (a void after RECEIPT_TTL_MS, a completion
   * once its hold expired), and every webhook notification was delivered or given up. For orderly
   * shutdowns and tests; decisions never wait for it.
   */
  drained(): Promise<void>;
  /**
   * What `decide` would answer for these facts now, and the numbers it decides on, changing
   * nothing (`tollgate why`): the same identity, route rules and decision code, on the store's
   * previewAdmit. Rejects when the store cannot be read; no payment is read from the facts.
   */
  explain(facts: RequestFacts): Promise<Trace>;
  /**
   * The usage of the account these facts identify, as it stands, changing nothing (the admin API's
   * usage): the usage endpoint's report, read the same way, whether or not the policy has that
   * endpoint. Undefined when the facts identify nobody; rejects when the store cannot be read.
   */
  usage(facts: RequestFacts): Promise<UsageReport | undefined>;
}

export type HoldOutcome = HoldResult | { readonly kind: 'none' } | { readonly kind: 'failed'; readonly error: string };
export type PaymentOutcome = PaymentSettlement | { readonly kind: 'none' };

export interface Completion {
  readonly hold: HoldOutcome;
  readonly payment: PaymentOutcome;
  /** Add these to the client's response (PAYMENT-RESPONSE, and X-PAYMENT-RESPONSE for v1 payers). */
  readonly headers: Readonly<Record<string, string>>;
  /** Send this instead of the upstream's response: the payment could not be settled. */
  readonly replace?: Deny;
}

export interface EngineOptions {
  readonly observer?: Observer;
  readonly facilitatorTimeouts?: FacilitatorTimeouts;
  /** Headers per facilitator URL (TOLLGATE_X402_FACILITATOR_HEADERS): the offer's facilitator gets them only when its URL equals a key (a trailing slash aside). */
  readonly facilitatorHeaders?: FacilitatorHeaders;
  /** A CDP API key (TOLLGATE_X402_CDP_API_KEY_*): the offer's facilitator gets a token signed per call only when its URL is the key's. */
  readonly cdpAuth?: CdpAuth;
  /** The router whose choice the engine repeats for requests whose entry is not pinned to a route. Default `kong-atc` (Kong's default flavour). */
  readonly router?: GatewayRouter;
  /** Whether the policy's notifications are sent (gateway runtimes) or not at all (`tollgate why`, `tollgate test`). Default true. */
  readonly notify?: boolean;
  /**
   * Whether the x402 offer is checked against its facilitator's GET /supported when the engine
   * starts (gateway runtimes; the outcome goes to the observer) or not (`tollgate why`, `tollgate
   * test`, the admin API, which serve no payments). Default true.
   */
  readonly checkFacilitator?: boolean;
  /** Where `notifications.secret` is read. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export type EngineCompile = { readonly ok: true; readonly engine: Engine } | { readonly ok: false; readonly errors: readonly string[] };
