// Usage to Stripe Meters through the official library: the v2 meter event stream (batches of up to
// 100 events, authenticated by a meter event session token that lasts 15 minutes, created with the
// secret key), each event's `identifier` its id so that Stripe counts a resent event once; a
// compensating event cancels the event it takes back (v2 meter event adjustment, by identifier).
// The payload names the Stripe customer under the meter's customer mapping key.
import Stripe from 'stripe';
import type { UsageEvent, UsageMeter } from '@tollgate/engine';
import { sendInBatches } from './batches.js';
import { deliveryOfStatus, type Delivery, type Sink } from './sink.js';

export interface StripeSinkOptions {
  readonly apiKey: string;
  /** The Stripe meter's event name per usage meter; a meter without one is not shipped to Stripe. */
  readonly eventNames: Readonly<Partial<Record<UsageMeter, string>>>;
  /** The Stripe customer id of an account (undefined: the event is refused, dead-lettered). */
  readonly customerOf: (account: string) => string | undefined;
  /** The meter's customer mapping key (Stripe's default `stripe_customer_id`). */
  readonly customerKey?: string;
  /** Another API host (tests: a local server); port and protocol with it. */
  readonly host?: string;
  readonly port?: number;
  readonly protocol?: 'http' | 'https';
  readonly timeoutMs?: number;
}

/** Stripe's limit per meter event stream request. */
const STREAM_BATCH = 100;
/** A session token is replaced this long before it expires. */
const SESSION_MARGIN_MS = 60_000;
/** How long after receiving an event Stripe still cancels it. */
const CANCEL_WINDOW_MS = 24 * 3600 * 1000;

export class StripeSink implements Sink {
  readonly name = 'stripe';
  readonly #stripe: Stripe;
  readonly #options: StripeSinkOptions;
  #session: { readonly token: string; readonly expiresAt: number } | undefined;

  constructor(options: StripeSinkOptions) {
    this.#options = options;
    this.#stripe = new Stripe(options.apiKey, {
      maxNetworkRetries: 0,
      timeout: options.timeoutMs ?? 10_000,
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.protocol === undefined ? {} : { protocol: options.protocol }),
    });
  }

  async send(events: readonly UsageEvent[]): Promise<Delivery[]> {
    const deliveries = new Map<UsageEvent, Delivery>();
    const streamed: UsageEvent[] = [];
    for (const event of events) {
      const refusal = this.#refusal(event);
      if (refusal !== undefined) deliveries.set(event, { kind: 'rejected', reason: refusal });
      else if (event.cancels === undefined) streamed.push(event);
    }
    const sent = await sendInBatches(streamed, STREAM_BATCH, (batch) => this.#stream(batch));
    streamed.forEach((event, i) => deliveries.set(event, sent[i] as Delivery));
    // Cancellations after the events they may cancel (an event and its cancellation can share a batch).
    for (const event of events) if (!deliveries.has(event)) deliveries.set(event, await this.#cancel(event));
    return events.map((event) => deliveries.get(event) as Delivery);
  }

  #refusal(event: UsageEvent): string | undefined {
    if (this.#options.eventNames[event.meter] === undefined) return `no Stripe event name for meter ${event.meter}`;
    if (event.cancels === undefined && this.#options.customerOf(event.account) === undefined) return `no Stripe customer for account ${event.account}`;
    return undefined;
  }

  async #stream(batch: readonly UsageEvent[]): Promise<Delivery> {
    const customerKey = this.#options.customerKey ?? 'stripe_customer_id';
    const events = batch.map((event) => ({
      event_name: this.#options.eventNames[event.meter] as string,
      identifier: event.id,
      timestamp: new Date(event.time).toISOString(),
      payload: { [customerKey]: this.#options.customerOf(event.account) as string, value: String(event.quantity) },
    }));
    try {
      const token = await this.#sessionToken();
      await this.#stripe.v2.billing.meterEventStream.create({ events }, { apiKey: token });
      return { kind: 'accepted' };
    } catch (error) {
      if (error instanceof Stripe.errors.TemporarySessionExpiredError) this.#session = undefined;
      return this.#deliveryOf(error);
    }
  }

  /**
   * Stripe refuses to cancel an event it has not received (404): sent again later, by when the event
   * has arrived (another shipper may still be sending it); past Stripe's cancel window (24 hours) it
   * never will (it was dead-lettered): refused.
   */
  async #cancel(event: UsageEvent): Promise<Delivery> {
    try {
      await this.#stripe.v2.billing.meterEventAdjustments.create({
        event_name: this.#options.eventNames[event.meter] as string,
        type: 'cancel',
        cancel: { identifier: event.cancels as string },
      });
      return { kind: 'accepted' };
    } catch (error) {
      const delivery = this.#deliveryOf(error);
      const missing = error instanceof Stripe.errors.StripeError && error.statusCode === 404;
      return missing && Date.now() - event.time < CANCEL_WINDOW_MS ? { kind: 'failed', reason: delivery.kind === 'accepted' ? '' : delivery.reason } : delivery;
    }
  }

  async #sessionToken(): Promise<string> {
    if (this.#session === undefined || this.#session.expiresAt - SESSION_MARGIN_MS <= Date.now()) {
      const session = await this.#stripe.v2.billing.meterEventSession.create();
      this.#session = { token: session.authentication_token, expiresAt: Date.parse(session.expires_at) };
    }
    return this.#session.token;
  }

  #deliveryOf(error: unknown): Delivery {
    if (error instanceof Stripe.errors.StripeError) return deliveryOfStatus(error.statusCode, `stripe: ${error.statusCode ?? 'no status'} ${error.message}`);
    return { kind: 'failed', reason: `stripe: ${error instanceof Error ? error.message : String(error)}` };
  }
}
