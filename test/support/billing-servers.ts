// Local stand-ins for the billing systems the shipper talks to, recording every request as it
// arrived (method, path, headers, parsed body) for the tests to check its exact shape:
// - Stripe's v2 meter event API: sessions (secret key), the meter event stream (session token;
//   events deduped by identifier as Stripe does; customer `cus_closed` refused with 400, the whole
//   request, as Stripe refuses a malformed one) and cancel adjustments (secret key; 404 for an
//   identifier it has not received);
// - OpenMeter's CloudEvents ingest (bearer token; events deduped by id and source).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

interface MeterEvent {
  readonly event_name: string;
  readonly identifier: string;
  readonly timestamp: string;
  readonly payload: Record<string, string>;
}

abstract class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  #server: Server | undefined;
  #port = 0;

  get url(): string {
    return `http://127.0.0.1:${String(this.#port)}`;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
        this.requests.push(request);
        void this.handle(request).then(({ status, body }) => {
          if (body === undefined) res.writeHead(status).end();
          else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        });
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  protected abstract handle(request: RecordedRequest): Promise<Reply>;
}

interface Reply {
  readonly status: number;
  /** JSON; none: an empty body. */
  readonly body?: unknown;
}

const reply = (status: number, body?: unknown): Reply => ({ status, body });

export class LocalStripe extends RecordingServer {
  /** Events taken, by identifier (the first one; later ones with the same identifier are dropped). */
  readonly events = new Map<string, MeterEvent>();
  readonly canceled = new Set<string>();
  /** How many events arrived with an identifier already taken. */
  duplicates = 0;
  /** Stream requests wait this long before answering (events are taken on arrival). */
  streamDelayMs = 0;
  readonly #tokens = new Set<string>();

  constructor(readonly secretKey: string) {
    super();
  }

  /** Per customer and event name, the values of the events taken and not canceled, added up. */
  totals(): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const [identifier, event] of this.events) {
      if (this.canceled.has(identifier)) continue;
      const key = `${event.payload.stripe_customer_id ?? '?'} ${event.event_name}`;
      totals[key] = (totals[key] ?? 0) + Number(event.payload.value);
    }
    return totals;
  }

  protected async handle(request: RecordedRequest): Promise<Reply> {
    const auth = request.headers.authorization;
    if (request.method === 'POST' && request.path === '/v2/billing/meter_event_session') {
      if (auth !== `Bearer ${this.secretKey}`) return reply(401, { error: { type: 'invalid_request_error', message: 'bad key' } });
      const token = `mes_${String(this.#tokens.size + 1)}`;
      this.#tokens.add(token);
      const now = Date.now();
      return reply(200, { id: `mes_sess_${token}`, object: 'v2.billing.meter_event_session', authentication_token: token, created: new Date(now).toISOString(), expires_at: new Date(now + 15 * 60_000).toISOString(), livemode: false });
    }
    if (request.method === 'POST' && request.path === '/v2/billing/meter_event_stream') {
      if (auth === undefined || !this.#tokens.has(auth.replace('Bearer ', ''))) return reply(401, { error: { type: 'temporary_session_expired', message: 'session token unknown' } });
      const events = (request.body as { events: MeterEvent[] }).events;
      if (events.some((e) => e.payload.stripe_customer_id === 'cus_closed')) return reply(400, { error: { type: 'invalid_request_error', message: 'customer cus_closed is closed' } });
      for (const event of events) {
        if (this.events.has(event.identifier)) this.duplicates++;
        else this.events.set(event.identifier, event);
      }
      if (this.streamDelayMs > 0) await new Promise((r) => setTimeout(r, this.streamDelayMs));
      return reply(200, {});
    }
    if (request.method === 'POST' && request.path === '/v2/billing/meter_event_adjustments') {
      if (auth !== `Bearer ${this.secretKey}`) return reply(401, { error: { type: 'invalid_request_error', message: 'bad key' } });
      const { cancel, event_name } = request.body as { cancel: { identifier: string }; event_name: string };
      if (!this.events.has(cancel.identifier)) return reply(404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'no such event' } });
      this.canceled.add(cancel.identifier);
      return reply(200, { id: `mea_${cancel.identifier}`, object: 'v2.billing.meter_event_adjustment', cancel, event_name, type: 'cancel', status: 'pending', livemode: false, created: new Date().toISOString() });
    }
    return reply(404, { error: { type: 'invalid_request_error', message: `no route ${request.method} ${request.path}` } });
  }
}

interface CloudEventJson {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject: string;
  readonly data: { readonly value: number };
}

export class LocalOpenMeter extends RecordingServer {
  readonly events = new Map<string, CloudEventJson>();

  constructor(readonly token: string) {
    super();
  }

  /** Per subject and type, the values of the events taken (by id and source), added up. */
  totals(): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const event of this.events.values()) {
      const key = `${event.subject} ${event.type}`;
      totals[key] = (totals[key] ?? 0) + event.data.value;
    }
    return totals;
  }

  protected handle(request: RecordedRequest): Promise<Reply> {
    if (request.method !== 'POST' || request.path !== '/api/v1/events') return Promise.resolve(reply(404, { title: 'not found' }));
    if (request.headers.authorization !== `Bearer ${this.token}`) return Promise.resolve(reply(401, { title: 'unauthorized' }));
    if (request.headers['content-type'] !== 'application/cloudevents-batch+json') return Promise.resolve(reply(415, { title: 'unsupported media type' }));
    for (const event of request.body as CloudEventJson[]) this.events.set(`${event.source} ${event.id}`, event);
    return Promise.resolve(reply(204));
  }

}
