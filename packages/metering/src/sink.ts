// What a billing system answered for one usage event.
import type { UsageEvent } from '@tollgate/engine';

export type Delivery =
  /** Taken (or already had it: billing systems dedupe by the event id). */
  | { readonly kind: 'accepted' }
  /** Refused for good (a 4xx other than 429): the event goes to the dead-letter stream. */
  | { readonly kind: 'rejected'; readonly reason: string }
  /** Not taken this time (network, 5xx, 429): sent again later. */
  | { readonly kind: 'failed'; readonly reason: string };

export interface Sink {
  /** stripe | openmeter: the metrics' label. */
  readonly name: string;
  /** One delivery per event, in order. */
  send(events: readonly UsageEvent[]): Promise<Delivery[]>;
}

export const ACCEPTED: Delivery = { kind: 'accepted' };

/** A refusal for good: 4xx other than 408 (timeout) and 429 (rate limited). */
export function deliveryOfStatus(status: number | undefined, reason: string): Delivery {
  if (status !== undefined && status >= 200 && status < 300) return ACCEPTED;
  const refused = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
  return { kind: refused ? 'rejected' : 'failed', reason };
}
