// What an `upto` payment settles (x402 specs/schemes/upto/scheme_upto.md, "Phase-dependent amount"):
// the requirements sent to /settle carry the actual amount in `amount`, never above the maximum the
// client authorised (the verify-time `amount`). The actual is the route's price, or, when the
// request's metered cost is known, its cost units times the option's price per unit. Integer
// arithmetic on atomic units throughout.
import type { RequirementsV1, RequirementsV2 } from './offer.js';
import type { PaymentHold } from './payment-gate.js';

/** The requirements to settle `hold` with: an exact payment's unchanged, an upto payment's with the amount to charge. */
export function settlementRequirements(hold: PaymentHold, meteredUnits: number | undefined): RequirementsV1 | RequirementsV2 {
  if (hold.upto === undefined) return hold.requirements;
  const requirements = hold.requirements as RequirementsV2;
  return { ...requirements, amount: uptoAmount(hold.upto.price, hold.upto.perUnit, requirements.amount, meteredUnits) };
}

/** Atomic units to charge: capped at `maximum`, what the client signed for. */
export function uptoAmount(price: string, perUnit: string | undefined, maximum: string, meteredUnits: number | undefined): string {
  const metered = meteredUnits !== undefined && perUnit !== undefined && Number.isSafeInteger(meteredUnits) && meteredUnits >= 0;
  const actual = metered ? BigInt(meteredUnits) * BigInt(perUnit) : BigInt(price);
  const ceiling = BigInt(maximum);
  return (actual < ceiling ? actual : ceiling).toString();
}
