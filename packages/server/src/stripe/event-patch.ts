// A verified Stripe event → the account change it means, as a value: which consumer, and the
// patch of plan, status, paidThrough and periodAnchor; or why the event changes nothing.
// Payload shapes differ between Stripe API versions (e.g. `current_period_end` moved from the
// subscription onto its items in 2025-03-31), so fields are read defensively, newest shape first.
import type { AccountPatch, EventStamp, SubscriptionStatus } from '@tollgate/engine';
import type { BillingMap } from './billing-map.js';

export const HANDLED_EVENT_TYPES = [
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
] as const;
export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];

/**
 * Stripe does not deliver events in order, and `created` counts whole seconds. Events are applied
 * in the order of `created`; within one second, in this order of types (a subscription is created,
 * then updated; a payment retried after a failure succeeds; deletion is final), then by event id
 * (arbitrary, but the same whatever the delivery order).
 */
export const SAME_SECOND_ORDER: readonly HandledEventType[] = [
  'customer.subscription.created',
  'customer.subscription.updated',
  'invoice.payment_failed',
  'invoice.paid',
  'customer.subscription.deleted',
];

/** Subscription metadata naming the Tollgate consumer explicitly (wins over the customId mapping). */
export const CONSUMER_METADATA_KEY = 'tollgate_consumer';

/** Why an event changed nothing (answered 200: Stripe must not retry these). */
export const IGNORE_REASONS = {
  unhandledType: 'unhandled-event-type',
  unknownCustomer: 'unknown-customer',
  unknownPrice: 'unknown-price',
  severalPlans: 'several-plans',
  notSubscriptionInvoice: 'not-a-subscription-invoice',
  malformed: 'malformed-event',
} as const;
export type IgnoreReason = (typeof IGNORE_REASONS)[keyof typeof IGNORE_REASONS];

export type EventOutcome =
  | { readonly kind: 'patch'; readonly consumer: string; readonly patch: AccountPatch; readonly stamp: EventStamp }
  | { readonly kind: 'ignored'; readonly reason: IgnoreReason; readonly detail: string };

// Stripe's `incomplete_expired` is final: the subscription never started.
const STATUSES: Readonly<Record<string, SubscriptionStatus>> = {
  active: 'active',
  trialing: 'trialing',
  past_due: 'past_due',
  unpaid: 'unpaid',
  canceled: 'canceled',
  incomplete: 'incomplete',
  incomplete_expired: 'canceled',
  paused: 'paused',
};

export interface StripeEventLike {
  readonly id: string;
  readonly type: string;
  /** Epoch seconds. */
  readonly created: number;
  readonly data: { readonly object: unknown };
}

export function eventPatch(event: StripeEventLike, billing: BillingMap): EventOutcome {
  const rank = SAME_SECOND_ORDER.indexOf(event.type as HandledEventType);
  if (rank < 0) return ignored(IGNORE_REASONS.unhandledType, `${event.type} is not an event Tollgate acts on`);
  const at = seconds(event.created);
  if (at === undefined) return ignored(IGNORE_REASONS.malformed, `the event's created ${JSON.stringify(event.created)} is not a time in epoch seconds`);
  const outcome = accountChange(event.type as HandledEventType, record(event.data.object), billing);
  return outcome.kind === 'patch' ? { ...outcome, stamp: { at, rank, id: event.id } } : outcome;
}

type AccountChange = { readonly kind: 'patch'; readonly consumer: string; readonly patch: AccountPatch } | Extract<EventOutcome, { kind: 'ignored' }>;

function accountChange(type: HandledEventType, object: Readonly<Record<string, unknown>>, billing: BillingMap): AccountChange {
  switch (type) {
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
      return subscriptionChange(object, billing);
    case 'customer.subscription.deleted':
      return withConsumer(object, record(object.metadata), billing, () => ({ kind: 'patch', patch: { status: 'canceled' } }));
    case 'invoice.paid':
    case 'invoice.payment_failed':
      return invoiceChange(type === 'invoice.paid', object, billing);
  }
}

type PatchOutcome = { readonly kind: 'patch'; readonly patch: AccountPatch } | Extract<EventOutcome, { kind: 'ignored' }>;

function subscriptionChange(subscription: Readonly<Record<string, unknown>>, billing: BillingMap): AccountChange {
  return withConsumer(subscription, record(subscription.metadata), billing, () => {
    const status = STATUSES[text(subscription.status) ?? ''];
    if (status === undefined) return ignored(IGNORE_REASONS.malformed, `unknown subscription status ${JSON.stringify(subscription.status)}`);
    const items = list(record(subscription.items).data).map(record);
    const prices = items.map((item) => text(record(item.price).id) ?? text(record(item.plan).id)).filter((p) => p !== undefined);
    const plans = [...new Set(prices.map((p) => billing.planOfPrice(p)).filter((p) => p !== undefined))];
    if (plans.length === 0) return ignored(IGNORE_REASONS.unknownPrice, `no plan lists the subscription's prices (${prices.join(', ') || 'none'}) in billing.stripePriceIds`);
    if (plans.length > 1) return ignored(IGNORE_REASONS.severalPlans, `the subscription's prices map to several plans (${plans.join(', ')})`);
    // Newer API versions carry the period on each item; older ones on the subscription.
    const periodEnd = latest([...items.map((item) => item.current_period_end), subscription.current_period_end]);
    // Quota periods anchored to the subscription follow its billing cycle (after any trial).
    const anchor = seconds(subscription.billing_cycle_anchor) ?? seconds(subscription.start_date);
    return {
      kind: 'patch',
      patch: {
        plan: plans[0],
        status,
        ...(periodEnd === undefined ? {} : { paidThrough: periodEnd * 1000 }),
        ...(anchor === undefined ? {} : { periodAnchor: anchor * 1000 }),
      },
    };
  });
}

function invoiceChange(paid: boolean, invoice: Readonly<Record<string, unknown>>, billing: BillingMap): AccountChange {
  const details = record(record(invoice.parent).subscription_details);
  const legacyDetails = record(invoice.subscription_details);
  const subscription = idOf(details.subscription) ?? idOf(invoice.subscription);
  if (subscription === undefined) return ignored(IGNORE_REASONS.notSubscriptionInvoice, 'the invoice is not for a subscription');
  const metadata = Object.keys(record(details.metadata)).length > 0 ? record(details.metadata) : record(legacyDetails.metadata);
  return withConsumer(invoice, metadata, billing, () => {
    if (!paid) return { kind: 'patch', patch: { status: 'past_due' } };
    // The lines' periods are the service periods this invoice paid for.
    const paidThrough = latest(list(record(invoice.lines).data).map((line) => record(record(line).period).end));
    return { kind: 'patch', patch: { status: 'active', ...(paidThrough === undefined ? {} : { paidThrough: paidThrough * 1000 }) } };
  });
}

function withConsumer(object: Readonly<Record<string, unknown>>, metadata: Readonly<Record<string, unknown>>, billing: BillingMap, change: () => PatchOutcome): AccountChange {
  const named = text(metadata[CONSUMER_METADATA_KEY]);
  const customer = idOf(object.customer);
  const consumer = named ?? (customer === undefined ? undefined : billing.consumerOfCustomer(customer));
  if (consumer === undefined) {
    return ignored(IGNORE_REASONS.unknownCustomer, `no consumer for Stripe customer ${customer ?? '(none)'}: set metadata.${CONSUMER_METADATA_KEY} on the subscription or the consumer's customId`);
  }
  const outcome = change();
  return outcome.kind === 'patch' ? { kind: 'patch', consumer, patch: outcome.patch } : outcome;
}

function ignored(reason: IgnoreReason, detail: string): Extract<EventOutcome, { kind: 'ignored' }> {
  return { kind: 'ignored', reason, detail };
}

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An expandable Stripe reference: an id, or the expanded object carrying it. */
function idOf(value: unknown): string | undefined {
  return text(value) ?? text(record(value).id);
}

function seconds(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function latest(values: readonly unknown[]): number | undefined {
  const found = values.map(seconds).filter((v) => v !== undefined);
  return found.length === 0 ? undefined : Math.max(...found);
}
