// The payment a request carries: `PAYMENT-SIGNATURE` (x402 v2) or `X-PAYMENT` (v1), each base64 of
// a PaymentPayload JSON. Shape is checked with @x402/core's schemas; the decoded object itself is
// what goes to the facilitator (the schemas strip members they don't know, such as extensions).
import { decodePaymentSignatureHeader } from '@x402/core/http';
import { PaymentPayloadV1Schema, PaymentPayloadV2Schema } from '@x402/core/schemas';
import type { HeaderValues } from '../types.js';

export const PAYMENT_SIGNATURE_HEADER = 'payment-signature';
export const X_PAYMENT_HEADER = 'x-payment';
/** Far above any real payload (~1 KB): a bound on what is decoded and parsed per request. */
const MAX_HEADER_LENGTH = 16 * 1024;

export interface Payment {
  readonly version: 1 | 2;
  /** The decoded PaymentPayload, as the client sent it. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** v2: the requirements the payer says it accepted. */
  readonly accepted?: Readonly<Record<string, unknown>>;
  /** v1: scheme and network are top-level members. */
  readonly scheme: string;
  readonly network: string;
  /** Scheme-specific: for exact on EVM `{signature, authorization}`. */
  readonly inner: Readonly<Record<string, unknown>>;
}

export type PaymentRead =
  | { readonly kind: 'none' }
  /** `reason` is an x402 error code, shown to the client in the fresh challenge. */
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'payment'; readonly payment: Payment };

export function readPayment(headers: Readonly<Record<string, HeaderValues>>): PaymentRead {
  const v2 = headers[PAYMENT_SIGNATURE_HEADER];
  const v1 = headers[X_PAYMENT_HEADER];
  if (v2 !== undefined) return decode(v2, 2);
  if (v1 !== undefined) return decode(v1, 1);
  return { kind: 'none' };
}

function decode(values: HeaderValues, version: 1 | 2): PaymentRead {
  const list = typeof values === 'string' ? [values] : values;
  const value = list[0]?.trim();
  if (value === undefined || value === '' || list.length > 1) return malformed('invalid_payload');
  if (value.length > MAX_HEADER_LENGTH) return malformed('invalid_payload');
  let decoded: unknown;
  try {
    decoded = decodePaymentSignatureHeader(value);
  } catch {
    return malformed('invalid_payload');
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) return malformed('invalid_payload');
  const payload = decoded as Record<string, unknown>;
  // PAYMENT-SIGNATURE carries v2 payloads and X-PAYMENT v1 ones, as the reference client sends them.
  if (payload.x402Version !== version) return malformed('invalid_x402_version');
  if (version === 2) {
    const parsed = PaymentPayloadV2Schema.safeParse(payload);
    if (!parsed.success) return malformed('invalid_payload');
    const { accepted } = parsed.data;
    return found({ version, payload, accepted, scheme: accepted.scheme, network: accepted.network, inner: parsed.data.payload });
  }
  const parsed = PaymentPayloadV1Schema.safeParse(payload);
  if (!parsed.success) return malformed('invalid_payload');
  return found({ version, payload, scheme: parsed.data.scheme, network: parsed.data.network, inner: parsed.data.payload });
}

function malformed(reason: string): PaymentRead {
  return { kind: 'malformed', reason };
}

function found(payment: Payment): PaymentRead {
  return { kind: 'payment', payment };
}
