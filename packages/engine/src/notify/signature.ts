// The webhook signature, as Stripe signs its own: `Tollgate-Signature: t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<body>">` under the policy's secret. The receiver recomputes it over the raw
// body and rejects a timestamp too far from its clock (a replayed delivery); docs/notifications.md
// has the recipe.
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'Tollgate-Signature';
export const EVENT_ID_HEADER = 'Tollgate-Event-Id';

export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const t = String(unixSeconds);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}
