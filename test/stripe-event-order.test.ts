// Stripe does not deliver events in order. Every ordering (all 120 permutations) of a realistic
// subscription lifecycle — created, updated, renewal payment failed, then paid, deleted — is
// delivered to the webhook server over HTTP with real signatures, on the memory store and on
// redis-server and Redis Cluster, and must leave the account exactly as in-order delivery does;
// deliveries again of events already applied change nothing. Events within one second follow
// the documented precedence (packages/server/README.md, "Order").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, type AccountState, type Store } from '../packages/engine/src/index.js';
import { billingMapFromProject } from '../packages/server/src/stripe/billing-map.js';
import { createStripeWebhookServer, STRIPE_WEBHOOK_PATH } from '../packages/server/src/stripe/webhook-handler.js';
import { billingProject } from '../packages/server/src/test-support/billing-project.js';
import { listen, type Listening } from '../packages/server/src/test-support/listen.js';
import { invoiceEvent, signed, subscriptionEvent } from '../packages/server/src/test-support/stripe-events.js';
import { redisStoresUnderTest } from './support/redis.js';

const T = 1_768_435_200;
const FIRST_PERIOD_END = T + 2_678_400;
const RENEWED_THROUGH = FIRST_PERIOD_END + 2_419_200;
const IN_ORDER: AccountState = { plan: 'pro', status: 'canceled', paidThrough: RENEWED_THROUGH * 1000, periodAnchor: T * 1000, credits: 0 };

type StripeEvent = Record<string, unknown>;

/** The lifecycle of one subscription, in Stripe's order, each event `created` at the given second. */
function lifecycle(consumer: string, seconds: readonly number[]): StripeEvent[] {
  const metadata = { tollgate_consumer: consumer };
  const at = (i: number): number => seconds[i] ?? T;
  const subscription = { anchor: T, periodEnd: FIRST_PERIOD_END, metadata };
  return [
    subscriptionEvent({ ...subscription, id: 'evt_created', type: 'customer.subscription.created', prices: ['price_1WeatherFreeMonthly'], created: at(0) }),
    subscriptionEvent({ ...subscription, id: 'evt_updated', type: 'customer.subscription.updated', prices: ['price_1WeatherProMonthly'], created: at(1) }),
    invoiceEvent({ id: 'evt_failed', type: 'invoice.payment_failed', invoice: 'in_renewal', periodEnds: [RENEWED_THROUGH], metadata, created: at(2) }),
    invoiceEvent({ id: 'evt_paid', type: 'invoice.paid', invoice: 'in_renewal', periodEnds: [RENEWED_THROUGH], metadata, created: at(3) }),
    subscriptionEvent({ ...subscription, id: 'evt_deleted', type: 'customer.subscription.deleted', status: 'canceled', prices: ['price_1WeatherProMonthly'], created: at(4) }),
  ];
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

const rows = [{ name: 'memory', create: () => Promise.resolve<Store>(createMemoryStore()) }, ...redisStoresUnderTest()];

describe.each(rows)('Stripe events in any order on the $name store', (row) => {
  let store: Store;
  let server: Listening;

  beforeAll(async () => {
    store = await row.create();
    server = await listen(createStripeWebhookServer({ secret: 'whsec_test_0123456789abcdef', billing: billingMapFromProject(billingProject()), stores: [store] }));
  });
  afterAll(async () => {
    await server.close();
    await store.close();
  });

  async function deliver(event: StripeEvent): Promise<string> {
    const body = JSON.stringify(event);
    const response = await fetch(`${server.url}${STRIPE_WEBHOOK_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signed(body) }, body });
    const answer = (await response.json()) as { outcome?: string };
    expect(response.status).toBe(200);
    return answer.outcome ?? '';
  }

  /** Delivers each ordering to an account of its own; every event then once more, in order. */
  async function everyOrdering(name: string, seconds: readonly number[]): Promise<void> {
    await Promise.all(
      permutations([0, 1, 2, 3, 4]).map(async (order, n) => {
        const consumer = `${name}-${order.join('')}`;
        const events = lifecycle(consumer, seconds);
        for (const i of order) expect(['applied', 'stale']).toContain(await deliver(events[i] as StripeEvent));
        for (const event of events) expect(await deliver(event)).toBe('duplicate');
        expect(await store.getAccount(consumer), `ordering #${n}: ${order.join(' ')}`).toEqual(IN_ORDER);
      }),
    );
  }

  it('delivered in order, the lifecycle ends cancelled on the renewed period', async () => {
    for (const event of lifecycle('in-order', [T, T + 60, T + 120, T + 180, T + 240])) expect(await deliver(event)).toBe('applied');
    expect(await store.getAccount('in-order')).toEqual(IN_ORDER);
  });

  it('every ordering of events a minute apart ends as in-order delivery', () => everyOrdering('apart', [T, T + 60, T + 120, T + 180, T + 240]));

  it('every ordering of events within one second ends as in-order delivery (ties by event type)', () => everyOrdering('same-second', [T, T, T, T, T]));

  it.each([
    ['updated (active) vs deleted', [lifecycle('x', [])[1], lifecycle('x', [])[4]], { status: 'canceled' }],
    ['payment failed vs paid', [lifecycle('x', [])[2], lifecycle('x', [])[3]], { status: 'active' }],
    [
      'two updates: the greater event id',
      [
        subscriptionEvent({ id: 'evt_B', type: 'customer.subscription.updated', prices: ['price_1WeatherProMonthly'], metadata: { tollgate_consumer: 'x' } }),
        subscriptionEvent({ id: 'evt_A', type: 'customer.subscription.updated', prices: ['price_1WeatherFreeMonthly'], metadata: { tollgate_consumer: 'x' } }),
      ],
      { plan: 'pro' },
    ],
  ] as const)('breaks a tie within one second the same way in both orders: %s', async (name, [one, other], expected) => {
    const retarget = (event: StripeEvent | undefined, consumer: string): StripeEvent => JSON.parse(JSON.stringify(event).replaceAll('"tollgate_consumer":"x"', `"tollgate_consumer":"${consumer}"`)) as StripeEvent;
    for (const [suffix, order] of [['ab', [one, other]], ['ba', [other, one]]] as const) {
      const consumer = `tie-${name.replaceAll(/\W+/g, '-')}-${suffix}`;
      for (const event of order) await deliver(retarget(event, consumer));
      expect(await store.getAccount(consumer)).toMatchObject(expected);
    }
  });
});
