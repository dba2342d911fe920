// Usage to OpenMeter: CloudEvents (built and validated by the `cloudevents` library) in batches,
// POST <url>/api/v1/events as application/cloudevents-batch+json with a bearer token. The event id
// is the CloudEvent id (OpenMeter dedupes by id and source); the subject is the account; data
// carries the quantity (`value`, negative for a compensating event) and the policy.
import { CloudEvent } from 'cloudevents';
import type { UsageEvent } from '@tollgate/engine';
import { sendInBatches } from './batches.js';
import { deliveryOfStatus, type Delivery, type Sink } from './sink.js';

export interface OpenMeterSinkOptions {
  /** e.g. https://openmeter.cloud or a self-hosted OpenMeter. */
  readonly url: string;
  readonly token: string;
  /** CloudEvent source (default `tollgate`). */
  readonly source?: string;
  /** CloudEvent type prefix: the type is `<prefix><meter>` (default `tollgate.`). */
  readonly typePrefix?: string;
  readonly timeoutMs?: number;
}

const BATCH = 100;
export const CLOUDEVENTS_BATCH = 'application/cloudevents-batch+json';

export class OpenMeterSink implements Sink {
  readonly name = 'openmeter';
  readonly #options: OpenMeterSinkOptions;
  readonly #endpoint: string;

  constructor(options: OpenMeterSinkOptions) {
    this.#options = options;
    this.#endpoint = new URL('/api/v1/events', options.url).href;
  }

  send(events: readonly UsageEvent[]): Promise<Delivery[]> {
    return sendInBatches(events, BATCH, (batch) => this.#post(batch));
  }

  cloudEvent(event: UsageEvent): CloudEvent<{ value: number; policy: string }> {
    return new CloudEvent({
      specversion: '1.0',
      id: event.id,
      source: this.#options.source ?? 'tollgate',
      type: `${this.#options.typePrefix ?? 'tollgate.'}${event.meter}`,
      subject: event.account,
      time: new Date(event.time).toISOString(),
      datacontenttype: 'application/json',
      data: { value: event.quantity, policy: event.policy },
    });
  }

  async #post(batch: readonly UsageEvent[]): Promise<Delivery> {
    try {
      const response = await fetch(this.#endpoint, {
        method: 'POST',
        headers: { 'content-type': CLOUDEVENTS_BATCH, authorization: `Bearer ${this.#options.token}` },
        body: JSON.stringify(batch.map((event) => this.cloudEvent(event).toJSON())),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
      });
      const detail = response.ok ? '' : (await response.text()).slice(0, 200);
      return deliveryOfStatus(response.status, `openmeter: ${response.status} ${detail}`);
    } catch (error) {
      return { kind: 'failed', reason: `openmeter: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}
