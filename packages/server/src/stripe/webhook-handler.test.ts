import { createMemoryStore, ManualClock, type AccountPatch, type Store } from '@tollgate/engine';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../log.js';
import { billingProject } from '../test-support/billing-project.js';
import { listen, type Listening } from '../test-support/listen.js';
import { invoiceEvent, SECRET, signed, subscriptionEvent } from '../test-support/stripe-events.js';
import { billingMapFromProject } from './billing-map.js';
import { createStripeWebhookServer, STRIPE_WEBHOOK_PATH, WebhookConfigError, type StripeWebhookOptions } from './webhook-handler.js';

const NOW_S = 1_768_500_000;
const billing = billingMapFromProject(billingProject());

let server: Listening | undefined;
let logged: LogEntry[];

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A memory store that counts account writes, to prove a duplicate wrote nothing. */
function countingStore(): Store & { writes: AccountPatch[] } {
  const store = createMemoryStore();
  const writes: AccountPatch[] = [];
  const write = store.updateAccount.bind(store);
  const writeOnce = store.updateAccountOnce.bind(store);
  store.updateAccount = (account, patch) => {
    writes.push(patch);
    return write(account, patch);
  };
  store.updateAccountOnce = (account, patch, key, now) => {
    const result = writeOnce(account, patch, key, now);
    if (result.kind === 'applied') writes.push(patch);
    return result;
  };
  return Object.assign(store, { writes });
}

async function start(stores: Store[], overrides: Partial<StripeWebhookOptions> = {}): Promise<void> {
  logged = [];
  server = await listen(
    createStripeWebhookServer({ secret: SECRET, billing, stores, clock: new ManualClock(NOW_S * 1000), log: (entry) => logged.push(entry), ...overrides }),
  );
}

async function deliver(event: unknown, options: { signature?: string | null; body?: string; path?: string; method?: string } = {}) {
  const body = options.body ?? JSON.stringify(event);
  const signature = options.signature === undefined ? signed(body, { timestamp: NOW_S }) : options.signature;
  const response = await fetch(`${server?.url ?? ''}${options.path ?? STRIPE_WEBHOOK_PATH}`, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'stripe-signature': signature }) },
    ...(options.method === 'GET' ? {} : { body }),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
}

describe('Stripe webhooks: events become account state', () => {
  it('puts a new subscription on its plan, active, paid through the period end, anchored to the billing cycle', async () => {
    const store: Store = createMemoryStore();
    await start([store]);
    const answer = await deliver(subscriptionEvent({ type: 'customer.subscription.created', periodEnd: 1_771_113_600, anchor: 1_768_435_200 }));
    expect(answer).toEqual({ status: 200, contentType: 'application/json', body: { received: true, outcome: 'applied', account: 'acme-weather' } });
    expect(await store.getAccount('acme-weather')).toEqual({ plan: 'pro', status: 'active', paidThrough: 1_771_113_600_000, periodAnchor: 1_768_435_200_000, credits: 0 });
  });

  it('reads the pre-2025 payload shape (period on the subscription, plan ids)', async () => {
    const store: Store = createMemoryStore();
    await start([store]);
    await deliver(subscriptionEvent({ shape: 'legacy', prices: ['price_1WeatherFreeMonthly'], status: 'trialing', periodEnd: 1_772_000_000 }));
    expect(await store.getAccount('acme-weather')).toMatchObject({ plan: 'free', status: 'trialing', paidThrough: 1_772_000_000_000 });
  });

  it('maps the consumer from metadata.tollgate_consumer before the customId', async () => {
    const store: Store = createMemoryStore();
    await start([store]);
    expect((await deliver(subscriptionEvent({ customer: 'cus_acme', metadata: { tollgate_consumer: 'hobbyist' } }))).body.account).toBe('hobbyist');
    expect((await store.getAccount('hobbyist')).plan).toBe('pro');
    expect(await store.getAccount('acme-weather')).toEqual({ credits: 0 });
  });

  it.each([
    ['customer.subscription.deleted', subscriptionEvent({ id: 'evt_del', type: 'customer.subscription.deleted', status: 'canceled' }), { status: 'canceled' }],
    ['an expired incomplete subscription', subscriptionEvent({ id: 'evt_exp', status: 'incomplete_expired' }), { status: 'canceled' }],
    ['past_due', subscriptionEvent({ id: 'evt_pd', status: 'past_due' }), { status: 'past_due' }],
    ['invoice.paid', invoiceEvent({ id: 'evt_paid', periodEnds: [1_773_532_800, 1_773_000_000] }), { status: 'active', paidThrough: 1_773_532_800_000 }],
    ['invoice.paid (pre-2025 shape)', invoiceEvent({ id: 'evt_paid_old', shape: 'legacy', periodEnds: [1_773_532_800] }), { status: 'active', paidThrough: 1_773_532_800_000 }],
    ['invoice.payment_failed', invoiceEvent({ id: 'evt_failed', type: 'invoice.payment_failed' }), { status: 'past_due' }],
  ])('applies %s', async (_, event, expected) => {
    const store: Store = createMemoryStore();
    await store.updateAccount('acme-weather', { plan: 'pro', status: 'active', paidThrough: 1_771_113_600_000 });
    await start([store]);
    expect((await deliver(event)).body).toMatchObject({ outcome: 'applied', account: 'acme-weather' });
    expect(await store.getAccount('acme-weather')).toMatchObject({ plan: 'pro', ...expected });
  });

  it('applies an event to every store the policies use', async () => {
    const stores: Store[] = [createMemoryStore(), createMemoryStore()];
    await start(stores);
    await deliver(subscriptionEvent());
    for (const store of stores) expect((await store.getAccount('acme-weather')).plan).toBe('pro');
  });
});

describe('Stripe webhooks: once per event id', () => {
  it('changes nothing when an event is delivered again, even after the account moved on', async () => {
    const store = countingStore();
    await start([store]);
    const event = subscriptionEvent({ id: 'evt_once', status: 'active' });
    expect((await deliver(event)).body.outcome).toBe('applied');
    await store.updateAccount('acme-weather', { status: 'past_due' });
    expect((await deliver(event)).body).toEqual({ received: true, outcome: 'duplicate', account: 'acme-weather' });
    expect((await store.getAccount('acme-weather')).status).toBe('past_due');
    expect(store.writes).toHaveLength(2);
  });

  it('applies concurrent deliveries of one event once', async () => {
    const store = countingStore();
    await start([store]);
    const event = subscriptionEvent({ id: 'evt_burst' });
    const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(event)));
    expect(answers.filter((a) => a.body.outcome === 'applied')).toHaveLength(1);
    expect(answers.filter((a) => a.body.outcome === 'duplicate')).toHaveLength(9);
    expect(store.writes).toHaveLength(1);
  });
});

describe('Stripe webhooks: events that change nothing answer 200', () => {
  it.each([
    ['an event type Tollgate does not act on', { ...subscriptionEvent(), type: 'customer.created' }, 'unhandled-event-type', 'info'],
    ['an unknown customer', subscriptionEvent({ customer: 'cus_stranger' }), 'unknown-customer', 'warn'],
    ['a price no plan lists', subscriptionEvent({ prices: ['price_1Unknown'] }), 'unknown-price', 'warn'],
    ['prices of several plans', subscriptionEvent({ prices: ['price_1WeatherFreeMonthly', 'price_1WeatherProMonthly'] }), 'several-plans', 'warn'],
    ['an invoice not for a subscription', invoiceEvent({ subscription: null }), 'not-a-subscription-invoice', 'warn'],
    ['an unknown subscription status', subscriptionEvent({ status: 'galactic' }), 'malformed-event', 'warn'],
    ['an event without a creation time', { ...subscriptionEvent(), created: 'yesterday' }, 'malformed-event', 'warn'],
  ])('ignores %s with the reason, logged', async (_, event, reason, level) => {
    const store = countingStore();
    await start([store]);
    const answer = await deliver(event);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ received: true, outcome: 'ignored', reason });
    expect(store.writes).toEqual([]);
    expect(await store.getAccount('acme-weather')).toEqual({ credits: 0 });
    expect(logged).toEqual([expect.objectContaining({ level, reason })]);
  });
});

describe('Stripe webhooks: requests that are not from Stripe', () => {
  function rejected(answer: Awaited<ReturnType<typeof deliver>>, status: number, type: string) {
    expect(answer.status).toBe(status);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ status, type: `https://tollgate.dev/problems/server/${type}` });
  }

  it.each<[string, { signature?: string | null; body?: string }]>([
    ['no signature', { signature: null }],
    ['a signature made with another secret', { signature: signed(JSON.stringify(subscriptionEvent()), { secret: 'whsec_other', timestamp: NOW_S }) }],
    ['a body altered after signing', { signature: signed(JSON.stringify(subscriptionEvent({ status: 'canceled' })), { timestamp: NOW_S }) }],
    ['a signature older than the tolerance (a replay)', { signature: signed(JSON.stringify(subscriptionEvent()), { timestamp: NOW_S - 301 }) }],
    ['a garbage signature header', { signature: 't=abc,v1=zzz' }],
  ])('answers 400 to %s and changes nothing', async (_, options) => {
    const store = countingStore();
    await start([store]);
    rejected(await deliver(subscriptionEvent(), options), 400, 'invalid-signature');
    expect(store.writes).toEqual([]);
    expect(await store.getAccount('acme-weather')).toEqual({ credits: 0 });
  });

  it('answers 413 to a body over the limit', async () => {
    const store = countingStore();
    await start([store], { maxBodyBytes: 1024 });
    rejected(await deliver(subscriptionEvent({ metadata: { pad: 'x'.repeat(2000) } })), 413, 'request-too-large');
    expect(store.writes).toEqual([]);
  });

  it('answers 405 to anything but POST and 404 elsewhere', async () => {
    await start([createMemoryStore()]);
    rejected(await deliver(undefined, { method: 'GET' }), 405, 'method-not-allowed');
    rejected(await deliver(subscriptionEvent(), { path: '/webhooks/other' }), 404, 'not-found');
  });
});

describe('Stripe webhooks: failures', () => {
  it('answers 500 when the store fails, so Stripe retries, and logs the event', async () => {
    const store: Store = createMemoryStore();
    store.updateAccountOnce = () => Promise.reject(new Error('READONLY You can\'t write against a read only replica.'));
    await start([store]);
    const answer = await deliver(subscriptionEvent({ id: 'evt_fail' }));
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ type: 'https://tollgate.dev/problems/server/store-unavailable' });
    expect(logged).toEqual([expect.objectContaining({ level: 'error', event: 'evt_fail', account: 'acme-weather' })]);
  });

  it('leaves nothing half-done when a store fails: the retry applies the event there, and only there', async () => {
    const [steady, flaky] = [countingStore(), countingStore()];
    const applyOnce = flaky.updateAccountOnce.bind(flaky);
    let failures = 1;
    flaky.updateAccountOnce = (...args) => (failures-- > 0 ? Promise.reject(new Error('connect ECONNRESET')) : applyOnce(...args));
    await start([steady, flaky]);
    const event = subscriptionEvent({ id: 'evt_retry' });
    expect((await deliver(event)).status).toBe(500);
    expect(await flaky.getAccount('acme-weather')).toEqual({ credits: 0 });
    expect((await deliver(event)).body).toEqual({ received: true, outcome: 'applied', account: 'acme-weather' });
    for (const store of [steady, flaky]) {
      expect(store.writes).toHaveLength(1);
      expect((await store.getAccount('acme-weather')).plan).toBe('pro');
    }
    expect((await deliver(event)).body.outcome).toBe('duplicate');
  });

  it('answers 500 when the store does not answer in time', async () => {
    const store: Store = createMemoryStore();
    store.updateAccountOnce = () => new Promise(() => undefined);
    await start([store], { timeoutMs: 50 });
    expect((await deliver(subscriptionEvent())).status).toBe(500);
  });

  it('refuses to start without a secret or a store', () => {
    expect(() => createStripeWebhookServer({ secret: undefined, billing, stores: [] })).toThrow(WebhookConfigError);
    expect(() => createStripeWebhookServer({ secret: '', billing, stores: [createMemoryStore()] })).toThrow(/STRIPE_WEBHOOK_SECRET/);
  });
});
