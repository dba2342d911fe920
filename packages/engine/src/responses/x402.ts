// The x402 challenge: the v2 `PAYMENT-REQUIRED` header (base64 of PaymentRequired, every payment
// option in the offer's order) and the v1 body members (`x402Version: 1`, `error`, `accepts` with
// the options v1 can pay: `exact` ones) so clients of both generations can pay.
import type { OfferRequirements, RequirementsV1 } from '../x402/offer.js';

export const PAYMENT_REQUIRED_HEADER = 'PAYMENT-REQUIRED';

export interface X402Challenge {
  readonly header: string;
  readonly body: { readonly x402Version: 1; readonly error: string; readonly accepts: readonly RequirementsV1[] };
}

export function x402Challenge(requirements: OfferRequirements, error: string): X402Challenge {
  const v2 = { x402Version: 2, error, resource: requirements.resource, accepts: requirements.accepts.map((entry) => entry.v2) };
  const v1 = requirements.accepts.flatMap((entry) => (entry.v1 === undefined ? [] : [entry.v1]));
  // Plain base64 of the UTF-8 JSON, as @x402/core's encodePaymentRequiredHeader (whose typing wants `extra` always).
  return { header: Buffer.from(JSON.stringify(v2), 'utf8').toString('base64'), body: { x402Version: 1, error, accepts: v1 } };
}
