// Follow-ups between the request call and the response call of one request. APISIX's
// RPC_HTTP_RESP_CALL carries a fresh debug id, not the request's, so both calls ask APISIX for
// `$request_id` (unique per request) and the runner keeps the engine's follow-up under it until
// ext-plugin-post-resp hands the upstream status back, with what the decision asked to observe of
// the response (a metered route's Allow.observe). Bounded: entries older than the engine's
// hold expiry are dropped (a hold then expires in the store and is given back), and at most
// MAX_PENDING are kept.
import { HOLD_TTL_MS, type FollowUp, type ResponseObservation } from '@tollgate/engine';

const MAX_PENDING = 100_000;

export interface PendingFollowUp {
  readonly followUp: FollowUp;
  readonly observe?: ResponseObservation | undefined;
}

interface Pending extends PendingFollowUp {
  readonly expires: number;
}

export class PendingFollowUps {
  readonly #pending = new Map<string, Pending>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.#pending.size;
  }

  put(requestId: string, followUp: FollowUp, observe?: ResponseObservation): void {
    const now = this.now();
    if (this.#pending.size >= MAX_PENDING) this.#dropExpired(now);
    // Still full: the oldest entry goes (Map keeps insertion order); its hold expires in the store.
    if (this.#pending.size >= MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value as string);
    this.#pending.set(requestId, { followUp, observe, expires: now + HOLD_TTL_MS });
  }

  /** The follow-up of this request, once. */
  take(requestId: string): PendingFollowUp | undefined {
    const pending = this.#pending.get(requestId);
    if (pending === undefined) return undefined;
    this.#pending.delete(requestId);
    return pending.expires > this.now() ? pending : undefined;
  }

  #dropExpired(now: number): void {
    for (const [id, pending] of this.#pending) if (pending.expires <= now) this.#pending.delete(id);
  }
}
