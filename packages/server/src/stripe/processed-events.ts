// Idempotency per Stripe event id, built on the store's idempotent credit ledger (the only atomic
// "first time for this key?" primitive stores have): claiming an event grants one unit under the
// key `stripe-event:<id>` to a bookkeeping account no consumer can be (consumer names have no
// colon). The first claim is `applied`; every later or concurrent one is `duplicate`, on every
// gateway node sharing the store. Keys are remembered CREDIT_KEY_TTL_MS (7 days), longer than
// Stripe's 3 days of retries. The account's balance counts the events processed.
import type { Store } from '@tollgate/engine';

export const EVENTS_ACCOUNT = 'stripe:webhook-events';

export type Claim = 'first' | 'seen';

export async function claimEvent(store: Store, eventId: string, now: number): Promise<Claim> {
  const result = await store.changeCredits(EVENTS_ACCOUNT, { operation: 'grant', amount: 1, key: `stripe-event:${eventId}`, now });
  return result.kind === 'applied' ? 'first' : 'seen';
}
