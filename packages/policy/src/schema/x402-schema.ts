// The x402 pay-per-request offer of a policy's payment section: one way to pay, or several under
// accepts (x402 v2 `accepts` entries), with prices per route and the upto scheme.
import Type, { type Static } from 'typebox';
import { closed, closedRecord, described, NamePattern, Url } from './schema-parts.js';

const X402Price = Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$', description: 'An amount in units of the asset, e.g. "0.01" (whole units, not atomic).' });
export const X402_SCHEMES = ['exact', 'upto'] as const;
export type X402Scheme = (typeof X402_SCHEMES)[number];
const X402SchemeMember = described(
  Type.Enum(X402_SCHEMES),
  'exact: the client pays the price; upto: the client authorises maxPrice (default price) and the gateway settles what the request cost (pricePerUnit × metered cost units, else price). Default exact.',
);
const X402Network = Type.String({ pattern: '^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$', description: 'CAIP-2 network, e.g. eip155:8453.' });
const X402Extra = closedRecord(Type.String(), Type.String(), {
  description: 'Scheme-specific extras: the EIP-712 domain name/version, assetTransferMethod (eip3009, permit2, erc7710), upto\'s facilitatorAddress.',
});
/** What each payment option may set; an option inherits what it leaves out from the offer. */
const x402OptionMembers = {
  scheme: Type.Optional(X402SchemeMember),
  price: Type.Optional(X402Price),
  maxPrice: Type.Optional(described(X402Price, 'upto: the most a request may cost, what the client authorises. Default price.')),
  pricePerUnit: Type.Optional(described(X402Price, 'upto: the price of one metered cost unit; the settled amount is the units the request cost times this, rounded up to an atomic unit, never above maxPrice.')),
  decimals: Type.Optional(Type.Integer({ minimum: 0, maximum: 36, description: 'Decimals of the asset. Default 6 (USDC).' })),
  payTo: Type.Optional(Type.String({ minLength: 1 })),
  maxTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
};
export const X402Option = Type.Object(
  {
    ...x402OptionMembers,
    asset: described(Type.String({ minLength: 1 }), 'Token contract address (or ISO-4217 code for fiat rails).'),
    network: X402Network,
    extra: Type.Optional(X402Extra),
  },
  { ...closed, description: 'One way to pay (an x402 `accepts` entry): a network and asset, and whatever it sets apart from the offer.' },
);
export type X402Option = Static<typeof X402Option>;

export const X402Offer = Type.Object(
  {
    ...x402OptionMembers,
    asset: Type.Optional(Type.String({ description: 'Token contract address (or ISO-4217 code for fiat rails). With accepts, give it in each entry.' })),
    network: Type.Optional(described(X402Network, 'CAIP-2 network, e.g. eip155:8453. With accepts, give it in each entry.')),
    extra: Type.Optional(X402Extra),
    accepts: Type.Optional(
      Type.Array(X402Option, { minItems: 1, maxItems: 16, description: 'Several ways to pay (networks, assets), offered together in this order. Without it the offer itself is the one way.' }),
    ),
    routes: Type.Optional(
      closedRecord(Type.String({ pattern: NamePattern }), X402Price, { description: "Price per policy route name; it replaces every option's price on that route (upto: its maxPrice too)." }),
    ),
    facilitator: Type.Optional(Url),
    description: Type.Optional(Type.String()),
  },
  { ...closed, description: 'Pay-per-request offer (x402 v2 and v1): one way to pay, or several under accepts.' },
);
export type X402Offer = Static<typeof X402Offer>;
