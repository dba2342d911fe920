import { anonymousWithoutOffer } from './anonymous-without-offer.js';
import { clientChosenIdentity } from './client-chosen-identity.js';
import { controlCharacter } from './control-character.js';
import { duplicateName } from './duplicate-name.js';
import { identityOptions } from './identity-options.js';
import { identitySpoofable } from './identity-spoofable.js';
import { mcpMethod } from './mcp-method.js';
import { mcpRoute } from './mcp-route.js';
import { meteredEstimateZero } from './metered-estimate-zero.js';
import { meteredFixedCost } from './metered-fixed-cost.js';
import { meteredNothingCharged } from './metered-nothing-charged.js';
import { meteredPricesMissing } from './metered-prices-missing.js';
import { meteredPricesUnused } from './metered-prices-unused.js';
import { meteredSource } from './metered-source.js';
import { noInlineSecret } from './no-inline-secret.js';
import { overdraftUnused } from './overdraft-unused.js';
import { notificationThresholds } from './notification-thresholds.js';
import { paymentPathMissing } from './payment-path-missing.js';
import { quotaAmount } from './quota-amount.js';
import { quotaBelowRateWindow } from './quota-below-rate-window.js';
import { quotaPeriod } from './quota-period.js';
import { rateLimitOrder } from './rate-limit-order.js';
import { refillWithoutCredits } from './refill-without-credits.js';
import { routeOverlap } from './route-overlap.js';
import type { Rule } from './rule.js';
import { storeConnection } from './store-connection.js';
import { templateVariable } from './template-variable.js';
import { unknownReference } from './unknown-reference.js';
import { usageEndpointUnreachable } from './usage-endpoint.js';
import { x402OfferIncomplete } from './x402-offer-incomplete.js';

export type { Rule, RuleFinding } from './rule.js';
export { controlCharacterDiagnostics } from './control-character.js';

/** The semantic rules, run on schema-valid documents. */
export const RULES: readonly Rule[] = [
  anonymousWithoutOffer,
  clientChosenIdentity,
  controlCharacter,
  duplicateName,
  identityOptions,
  identitySpoofable,
  mcpMethod,
  mcpRoute,
  meteredEstimateZero,
  meteredFixedCost,
  meteredNothingCharged,
  meteredPricesMissing,
  meteredPricesUnused,
  meteredSource,
  noInlineSecret,
  notificationThresholds,
  overdraftUnused,
  paymentPathMissing,
  quotaAmount,
  quotaBelowRateWindow,
  quotaPeriod,
  rateLimitOrder,
  refillWithoutCredits,
  routeOverlap,
  storeConnection,
  templateVariable,
  unknownReference,
  usageEndpointUnreachable,
  x402OfferIncomplete,
];
