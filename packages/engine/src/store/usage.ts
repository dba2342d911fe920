// Usage events: what the usage outbox of a store holds, in the shape the shipper sends to a billing
// system (`tollgate meter ship`, @tollgate/metering). A store appends its outbox entries in the same
// atomic step that charges the counters (store README, "Usage outbox"); one entry holds what one
// step billed, one event per meter with a quantity other than 0.
import { createHash } from 'node:crypto';

/**
 * `overage`: units counted as billable overage under `overage: bill` (the overage counter);
 * `credits`: credits drawn for good (a hold's when it commits). Nothing else is billed: included
 * quota units and rate windows cost the account nothing beyond its plan.
 */
export type UsageMeter = 'overage' | 'credits';

export interface UsageEvent {
  /**
   * Idempotency id, the same however often the entry is read: `<key>:<meter>` where key is the
   * admission's id or hold key, else `<account>:<entry id>:<meter>`; a compensating event (a void
   * of an entry already read) adds `:void`. At most 100 characters (Stripe's limit): a longer one is
   * replaced by its SHA-256.
   */
  readonly id: string;
  readonly account: string;
  readonly meter: UsageMeter;
  /** Integer; negative only for a compensating event. */
  readonly quantity: number;
  /** Epoch ms by the store's clock when the charge was made. */
  readonly time: number;
  readonly policy: string;
  /** A compensating event: the id of the event it takes back (billing systems cancel that one). */
  readonly cancels?: string;
}

/** One outbox entry as a store keeps it: p policy, o overage, c credits, k admission key ('' none), v the entry it compensates. */
export interface UsageEntry {
  readonly entryId: string;
  readonly time: number;
  readonly policy: string;
  readonly overage: number;
  readonly credits: number;
  readonly key: string;
  readonly voids?: string;
}

export const USAGE_METERS: readonly UsageMeter[] = ['overage', 'credits'];

/** The events of one entry, in meter order; ids as UsageEvent.id says. */
export function usageEvents(account: string, entry: UsageEntry): UsageEvent[] {
  const events: UsageEvent[] = [];
  for (const meter of USAGE_METERS) {
    const quantity = meter === 'overage' ? entry.overage : entry.credits;
    if (quantity === 0) continue;
    const original = eventId(entry.key === '' ? `${account}:${entry.voids ?? entry.entryId}` : entry.key, meter);
    const base = { account, meter, quantity, time: entry.time, policy: entry.policy };
    events.push(entry.voids === undefined ? { id: original, ...base } : { id: eventId(`${original}:void`, ''), ...base, cancels: original });
  }
  return events;
}

const MAX_ID_LENGTH = 100;

function eventId(key: string, meter: string): string {
  const id = meter === '' ? key : `${key}:${meter}`;
  return id.length <= MAX_ID_LENGTH ? id : createHash('sha256').update(id).digest('hex');
}
