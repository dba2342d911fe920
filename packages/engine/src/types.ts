// What a gateway adapter hands the engine, and what it gets back. Adapters translate their
// gateway's request into RequestFacts and the Decision back into their gateway's calls; nothing
// else crosses this line.
import type { ReasonCode } from '@tollgate/policy/schema';

export type { ReasonCode };

export type HeaderValues = string | readonly string[];

/** One request as the gateway sees it after authentication. Header names are lower-cased. */
export interface RequestFacts {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly host?: string;
  /** `http` or `https`, for the resource URL of an x402 challenge. Default `http`. */
  readonly scheme?: string;
  readonly headers: Readonly<Record<string, HeaderValues>>;
  /** Query arguments; a bare `?flag` has the value `true`. */
  readonly query: Readonly<Record<string, HeaderValues | true>>;
  readonly clientIp: string;
  /** The authenticated consumer, when the gateway's auth plugin identified one. */
  readonly consumer?: { readonly id?: string; readonly username?: string; readonly customId?: string };
  /** The credential (key) id the consumer authenticated with. */
  readonly credentialId?: string;
  /** The policy route name, when the gateway already knows which route matched. */
  readonly route?: string;
  readonly requestId?: string;
  /** The raw request body (UTF-8), delivered only on routes that read it (MCP routes); at most 1 MiB. */
  readonly body?: string;
  /** Set when the body was longer than what was delivered (the first 1 MiB). */
  readonly bodyTruncated?: boolean;
}

/** Changes to the request before it is proxied. Apply the removals first, then the sets. */
export interface UpstreamRewrite {
  readonly setHeaders: Readonly<Record<string, string>>;
  readonly removeHeaders: readonly string[];
  readonly setQuery: Readonly<Record<string, string>>;
  readonly removeQuery: readonly string[];
  readonly path?: string;
}

export type Decision = Allow | Deny | Respond;

/** What the gateway answers itself, without proxying: a refusal or the caller's usage. Adapters send it as is. */
export type Answer = Deny | Respond;

export interface Allow {
  readonly kind: 'allow';
  /** Headers for the client response (RateLimit fields, degraded-mode marker, …). */
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly upstream: UpstreamRewrite;
  /** Work left for after the upstream answered (refund, commit a reservation, settle a payment). */
  readonly followUp?: FollowUp;
  readonly log: DecisionLog;
}

export interface Deny {
  readonly kind: 'deny';
  readonly status: number;
  readonly reason: ReasonCode;
  readonly headers: Readonly<Record<string, string>>;
  /** Serialised body (problem+json). */
  readonly body: string;
  readonly log: DecisionLog;
}

/** The gateway answers this itself (the policy's usage endpoint): nothing was charged or counted. */
export interface Respond {
  readonly kind: 'respond';
  readonly status: number;
  readonly reason: 'usage';
  readonly headers: Readonly<Record<string, string>>;
  /** Serialised body (application/json). */
  readonly body: string;
  readonly log: DecisionLog;
}

/**
 * Opaque to adapters: they keep it for the request (it is a plain string, so it survives any
 * per-request context) and hand it back with the upstream status to `engine.complete`.
 */
export interface FollowUp {
  readonly id: string;
}

/** Fields that do not apply are absent or undefined (JSON leaves both out). */
export interface DecisionLog {
  readonly policy: string;
  readonly consumer?: string | undefined;
  readonly route?: string | undefined;
  readonly plan?: string | undefined;
  readonly decision: 'allow' | 'deny' | 'respond';
  /** `usage`: the usage endpoint answered. */
  readonly reason: ReasonCode | 'allowed' | 'usage';
  readonly status: number;
  readonly cost: number;
  /** Set when the store failed and onFailure decided the outcome. */
  readonly degraded?: 'open' | 'closed';
  /** Why the store failed, when `degraded` is set; why a payment was refused. */
  readonly error?: string;
  readonly requestId?: string | undefined;
  /** Allowed because the request carried a verified x402 payment. */
  readonly paid?: true;
  /** The paying wallet, as the facilitator reported it. */
  readonly payer?: string;
}
