// Stripe events as Stripe sends them (trimmed to the fields Tollgate reads plus a few neighbours),
// in the current API shape (periods on subscription items, invoice `parent`) and the pre-2025
// shape (periods on the subscription, `invoice.subscription`), signed like Stripe signs them.
import Stripe from 'stripe';

export const SECRET = 'whsec_test_0123456789abcdef';

export interface SubscriptionFields {
  readonly id?: string;
  readonly type?: string;
  readonly status?: string;
  readonly customer?: string;
  readonly prices?: readonly string[];
  readonly metadata?: Record<string, string>;
  /** Epoch seconds. */
  readonly periodEnd?: number;
  readonly anchor?: number;
  readonly start?: number;
  readonly shape?: 'current' | 'legacy';
  /** The event's `created`, epoch seconds. */
  readonly created?: number;
}

export function subscriptionEvent(fields: SubscriptionFields = {}): Record<string, unknown> {
  const { periodEnd = 1_771_113_600, anchor = 1_768_435_200, start = 1_768_435_200, shape = 'current' } = fields;
  const items = (fields.prices ?? ['price_1WeatherProMonthly']).map((price, i) => ({
    id: `si_${i}`,
    object: 'subscription_item',
    ...(shape === 'current' ? { current_period_start: anchor, current_period_end: periodEnd, price: { id: price, object: 'price' } } : { plan: { id: price, object: 'plan' } }),
    quantity: 1,
  }));
  return event(fields.id ?? 'evt_sub_1', fields.type ?? 'customer.subscription.updated', fields.created, {
    id: 'sub_1',
    object: 'subscription',
    customer: fields.customer ?? 'cus_acme',
    status: fields.status ?? 'active',
    billing_cycle_anchor: anchor,
    start_date: start,
    metadata: fields.metadata ?? {},
    items: { object: 'list', data: items, has_more: false },
    ...(shape === 'legacy' ? { current_period_start: anchor, current_period_end: periodEnd } : {}),
  });
}

export interface InvoiceFields {
  readonly id?: string;
  readonly type?: 'invoice.paid' | 'invoice.payment_failed';
  readonly customer?: string;
  readonly subscription?: string | null;
  readonly metadata?: Record<string, string>;
  readonly periodEnds?: readonly number[];
  readonly shape?: 'current' | 'legacy';
  readonly invoice?: string;
  /** The event's `created`, epoch seconds. */
  readonly created?: number;
}

export function invoiceEvent(fields: InvoiceFields = {}): Record<string, unknown> {
  const { shape = 'current', subscription = 'sub_1' } = fields;
  const lines = (fields.periodEnds ?? [1_773_532_800]).map((end, i) => ({ id: `il_${i}`, object: 'line_item', period: { start: end - 2_419_200, end } }));
  const parent =
    subscription === null ? null : { type: 'subscription_details', quote_details: null, subscription_details: { subscription, metadata: fields.metadata ?? {} } };
  return event(fields.id ?? 'evt_inv_1', fields.type ?? 'invoice.paid', fields.created, {
    id: fields.invoice ?? 'in_1',
    object: 'invoice',
    customer: fields.customer ?? 'cus_acme',
    status: fields.type === 'invoice.payment_failed' ? 'open' : 'paid',
    // The invoice's own period is the previous one for renewals: Tollgate must not use it.
    period_start: 1_768_435_200,
    period_end: 1_771_113_600,
    lines: { object: 'list', data: lines, has_more: false },
    ...(shape === 'current' ? { parent } : { subscription, subscription_details: { metadata: fields.metadata ?? {} } }),
  });
}

function event(id: string, type: string, created: number | undefined, object: Record<string, unknown>): Record<string, unknown> {
  return { id, object: 'event', api_version: '2026-01-28.clover', created: created ?? 1_768_435_200, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, data: { object } };
}

export function signed(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? SECRET, ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }) });
}
