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
  /**
   * The raw request body (UTF-8), sent only on routes that need it (`routeNeedsBody`: a metered
   * route whose estimate or model comes from the request), at most REQUEST_BODY_LIMIT bytes.
   */
  readonly body?: string;
  /** The body was longer than REQUEST_BODY_LIMIT: `body` holds its first REQUEST_BODY_LIMIT bytes. */
  readonly bodyTruncated?: boolean;
}

/** The most request body bytes an adapter sends (1 MiB); a longer body is cut and flagged `bodyTruncated`. */
export const REQUEST_BODY_LIMIT = 1_048_576;

/**
 * How much of a metered response adapters capture, never buffering it: the first `head` bytes and
 * the last `tail` bytes (a ring). A body of at most head + tail bytes is all in `head`, tail ''.
 * The Lua adapters hard-code the same numbers (a test compares them).
 */
export const RESPONSE_CAPTURE = { head: 16_384, tail: 49_152 } as const;

/** What an adapter captured of a response body (see RESPONSE_CAPTURE). */
export interface CapturedBody {
  readonly head: string;
  readonly tail: string;
  /** Bytes of the whole body. */
  readonly size: number;
}

/** What the upstream answered a metered request, as far as `Allow.observe` asked for it. */
export interface ResponseFacts {
  readonly status: number;
  /** The value of the `observe.header` response header, when asked for and present. */
  readonly header?: string;
  /** The captured response body, when `observe.body` asked for it. */
  readonly body?: CapturedBody;
  /** The response's Content-Type (SSE streams: text/event-stream). */
  readonly contentType?: string;
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
  /**
   * Set on a metered route: capture the response's `header` (lower-case name; remove it from the
   * client's response) and, with `body`, the response body as CapturedBody, without buffering it.
   * Hand them to `engine.complete` as ResponseFacts.
   */
  readonly observe?: ResponseObservation;
  readonly log: DecisionLog;
}

export interface ResponseObservation {
  readonly header?: string;
  readonly body?: true;
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
