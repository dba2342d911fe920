// Sending a batch to an endpoint that takes or refuses a batch as a whole: a refused batch of more
// than one event is sent again event by event, so that one bad event does not dead-letter the rest.
import type { UsageEvent } from '@tollgate/engine';
import type { Delivery } from './sink.js';

export type SendWhole = (events: readonly UsageEvent[]) => Promise<Delivery>;

export async function sendInBatches(events: readonly UsageEvent[], size: number, sendWhole: SendWhole): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  for (let at = 0; at < events.length; at += size) {
    const batch = events.slice(at, at + size);
    const delivery = await sendWhole(batch);
    if (delivery.kind === 'rejected' && batch.length > 1) {
      for (const event of batch) deliveries.push(await sendWhole([event]));
    } else {
      deliveries.push(...batch.map(() => delivery));
    }
  }
  return deliveries;
}
