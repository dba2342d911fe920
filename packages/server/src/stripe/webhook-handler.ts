// The Stripe webhook endpoint: verifies the `Stripe-Signature` of the raw body with the stripe
// library, maps the event to an account patch, and applies it once per event id to every store
// the policies use. Answers: bad signature 400 (nothing changed); unknown event type, customer or
// price 200 with the reason (Stripe retries non-2xx for days, and retrying can't help); a store
// failure 500 so Stripe retries. Once per event id and in event order: each store applies the
// patch with the event's key and its stamp (`created`, then the type's precedence, then the id) in
// one atomic `updateAccountOnce`, writing only the account fields no later event has set.
import type { IncomingMessage, Server } from 'node:http';
import { accountId, systemClock, withTimeout, type Clock, type Store } from '@tollgate/engine';
import Stripe from 'stripe';
import { readBody } from '../http/body.js';
import { createBoundedServer } from '../http/bounded-server.js';
import type { RequestHandler } from '../http/handler.js';
import { bodyProblem, PROBLEMS, problemReply, sendJson, sendProblem, type ProblemReply } from '../http/problem.js';
import { silentLog, type Log } from '../log.js';
import type { BillingMap } from './billing-map.js';
import { eventPatch, type IgnoreReason } from './event-patch.js';

export const STRIPE_SECRET_ENV = 'STRIPE_WEBHOOK_SECRET';
export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';
const DEFAULT_TIMEOUT_MS = 5_000;
/** Stripe events are a few kB; a subscription with many items stays far below this. */
const DEFAULT_MAX_BODY_BYTES = 512 * 1024;

export interface StripeWebhookOptions {
  /** The endpoint's signing secret (`whsec_…`). */
  readonly secret: string | undefined;
  readonly billing: BillingMap;
  /** Every store whose accounts follow Stripe (one per distinct store the policies use). */
  readonly stores: readonly Store[];
  /** Signature timestamps older than this are refused (replayed deliveries); Stripe's default 300. */
  readonly toleranceSeconds?: number;
  readonly clock?: Clock;
  readonly timeoutMs?: number;
  readonly maxBodyBytes?: number;
  readonly log?: Log;
}

/** What the endpoint did with a verified event (the JSON body of its 200 answers). */
export type WebhookResult =
  /** stale: a later event already set every field this one sets (Stripe delivered it late); nothing changed. */
  | { readonly received: true; readonly outcome: 'applied' | 'stale' | 'duplicate'; readonly account: string }
  | { readonly received: true; readonly outcome: 'ignored'; readonly reason: IgnoreReason; readonly detail: string };

export class WebhookConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

export function createStripeWebhookHandler(options: StripeWebhookOptions): RequestHandler {
  const problems = [
    ...(options.secret === undefined || options.secret === '' ? [`no webhook signing secret: set ${STRIPE_SECRET_ENV} (whsec_…, from the Stripe dashboard or \`stripe listen\`)`] : []),
    ...(options.stores.length === 0 ? ['no account store to write to'] : []),
  ];
  if (problems.length > 0) throw new WebhookConfigError(problems);
  const secret = options.secret ?? '';
  const clock = options.clock ?? systemClock;
  const log = options.log ?? silentLog;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tolerance = options.toleranceSeconds ?? Stripe.webhooks.DEFAULT_TOLERANCE;

  return async (req, res) => {
    const reply = await answer(req);
    if (reply.kind === 'problem') sendProblem(res, reply.problem, reply.headers);
    else sendJson(res, 200, reply.result);
  };

  async function answer(req: IncomingMessage): Promise<Reply> {
    if (req.method !== 'POST') return { ...problemReply(405, PROBLEMS.methodNotAllowed, 'Method not allowed', 'Stripe delivers events with POST'), headers: { allow: 'POST' } };
    const signature = req.headers['stripe-signature'];
    if (signature === undefined) return problemReply(400, PROBLEMS.invalidSignature, 'Invalid signature', 'the Stripe-Signature header is missing');
    const read = await readBody(req, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    if (!read.ok) return bodyProblem(read.status, read.detail);
    let event: Stripe.Event;
    try {
      // receivedAt is in milliseconds (the library divides by 1000).
      event = Stripe.webhooks.constructEvent(read.bytes, signature, secret, tolerance, undefined, clock.now());
    } catch (error) {
      log({ level: 'warn', message: `stripe webhook: signature rejected: ${firstLine(error)}` });
      return problemReply(400, PROBLEMS.invalidSignature, 'Invalid signature', 'the Stripe-Signature does not match this endpoint\'s secret and the raw body, or its timestamp is too old');
    }
    const outcome = eventPatch(event, options.billing);
    if (outcome.kind === 'ignored') {
      log({ level: outcome.reason === 'unhandled-event-type' ? 'info' : 'warn', message: `stripe webhook: ${event.type} ${event.id} ignored: ${outcome.detail}`, event: event.id, reason: outcome.reason });
      return { kind: 'ok', result: { received: true, outcome: 'ignored', reason: outcome.reason, detail: outcome.detail } };
    }
    const account = accountId(outcome.consumer);
    const key = eventKey(event.id);
    try {
      const results = await Promise.all(
        options.stores.map((store) => withTimeout(Promise.resolve(store.updateAccountOnce(account, outcome.patch, key, clock.now(), outcome.stamp)), timeoutMs)),
      );
      const result = (['applied', 'stale'] as const).find((kind) => results.some((r) => r.kind === kind)) ?? 'duplicate';
      log({ level: 'info', message: `stripe webhook: ${event.type} ${event.id} ${result} to ${outcome.consumer}`, event: event.id, account: outcome.consumer, patch: outcome.patch });
      return { kind: 'ok', result: { received: true, outcome: result, account: outcome.consumer } };
    } catch (error) {
      // Each store's patch and its event key are one atomic step: a store that failed recorded
      // neither, so Stripe's retry applies the event there (and is a duplicate where it landed).
      log({ level: 'error', message: `stripe webhook: ${event.type} ${event.id} for ${outcome.consumer} failed: ${firstLine(error)}`, event: event.id, account: outcome.consumer, patch: outcome.patch });
      return problemReply(500, PROBLEMS.storeUnavailable, 'Store unavailable', 'the account store failed; Stripe will retry');
    }
  }
}

/** The webhook handler at STRIPE_WEBHOOK_PATH, with GET /healthz. */
export function createStripeWebhookServer(options: StripeWebhookOptions): Server {
  const handler = createStripeWebhookHandler(options);
  return createBoundedServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://webhooks.invalid');
    if (pathname === STRIPE_WEBHOOK_PATH) {
      void handler(req, res);
    } else if (pathname === '/healthz' && req.method === 'GET') {
      sendJson(res, 200, { status: 'ok' });
    } else {
      sendProblem(res, { status: 404, type: PROBLEMS.notFound, title: 'Not found', detail: `Stripe events go to POST ${STRIPE_WEBHOOK_PATH}` });
    }
  });
}

/**
 * The idempotency key of an event on the account it patches: remembered CREDIT_KEY_TTL_MS (7 days),
 * longer than Stripe's 3 days of retries.
 */
function eventKey(eventId: string): string {
  return `stripe-event:${eventId}`;
}

type Reply = { readonly kind: 'ok'; readonly result: WebhookResult } | ProblemReply;

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
