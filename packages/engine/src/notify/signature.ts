// The webhook signature, as Stripe signs its own: `Tollgate-Signature: t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<body>">` under the policy's secret. The receiver recomputes it over the raw
// body and rejects a timestamp too far from its clock (a replayed delivery); docs/notifications.md
// has the recipe.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Tollgate-Signature';
export const EVENT_ID_HEADER = 'Tollgate-Event-Id';

export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const t = String(unixSeconds);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** Whether `header` signs `body` with `secret` at most `toleranceSeconds` from `nowSeconds`. */
export function verifySignature(header: string, body: string, secret: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = new Map(header.split(',').map((part) => [part.slice(0, part.indexOf('=')), part.slice(part.indexOf('=') + 1)] as const));
  const t = Number(parts.get('t'));
  const given = Buffer.from(parts.get('v1') ?? '', 'hex');
  if (!Number.isSafeInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${String(t)}.${body}`).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
