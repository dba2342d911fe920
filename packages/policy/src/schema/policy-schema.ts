// The policy language v1, defined once: TypeScript types are inferred from these TypeBox schemas
// and the published JSON Schema (schema/policy.schema.json) is generated from them.
import Type, { type Static, type TSchema } from 'typebox';

export { closed, described, EnvRef, NamePattern } from './schema-parts.js';
export { atomicAmount, DEFAULT_X402_DECIMALS, DEFAULT_X402_TIMEOUT_SECONDS, x402OfferProblems, x402PaymentOptions, type X402PaymentOption, type X402Problem } from './x402-options.js';
export { NativeRedis, NativeRedisCluster, PolicyStore, Store } from './store-schema.js';
export { MCP_CLIENT_METHODS, MCP_MAX_PRICE, McpCosts, McpRoutePrices } from './mcp-schema.js';
import { closed, closedRecord, described, EnvRef, HeaderName, Name, NamePattern, Secret, Url } from './schema-parts.js';
import { PolicyStore } from './store-schema.js';
import { McpCosts } from './mcp-schema.js';
import { MeteredRoutes, Overdraft } from './metered-schema.js';
import { X402Offer } from './x402-schema.js';

export { X402_SCHEMES, X402Offer, X402Option, type X402Scheme } from './x402-schema.js';

export { ComputedEstimate, JSON_FIELD_PATTERN, MeteredRoute, MeteredRoutes, MeteredUsage, MODEL_SOURCES, ModelPrice, USAGE_FORMATS } from './metered-schema.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const Method = Type.Enum(HTTP_METHODS);

const Metadata = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    owner: Type.Optional(Type.String()),
    labels: Type.Optional(closedRecord(Type.String({ pattern: '^[A-Za-z0-9._/-]+$' }), Type.String())),
  },
  closed,
);

// ── Plans ────────────────────────────────────────────────────────────────────────────────────────

export const RATE_WINDOWS = ['second', 'minute', 'hour', 'day'] as const;
export type RateWindow = (typeof RATE_WINDOWS)[number];
const Limit = Type.Integer({ minimum: 1 });

export const RateLimit = Type.Object(
  {
    second: Type.Optional(Limit),
    minute: Type.Optional(Limit),
    hour: Type.Optional(Limit),
    day: Type.Optional(Limit),
    window: Type.Optional(
      described(Type.Enum(['fixed', 'sliding']), 'fixed: calendar-aligned (Kong); sliding: sliding-window counter. Default fixed.'),
    ),
  },
  { ...closed, description: 'Short-window traffic limits; exceeding one answers 429 with Retry-After.' },
);
export type RateLimit = Static<typeof RateLimit>;

export const QUOTA_PERIODS = ['day', 'week', 'month', 'year', 'lifetime'] as const;
export const Quota = Type.Object(
  {
    requests: Type.Optional(described(Limit, 'Requests per billing period.')),
    units: Type.Optional(described(Limit, 'Cost units per billing period (see spec.costs).')),
    per: described(Type.Enum(QUOTA_PERIODS), 'Billing period: day, week (ISO: Monday to Sunday), month, year, or lifetime (never resets).'),
    anchor: Type.Optional(
      described(Type.Enum(['calendar', 'subscription']), 'Period start: calendar (UTC, or timeZone) or the subscription start. Default calendar.'),
    ),
    timeZone: Type.Optional(
      described(Type.String({ minLength: 1 }), 'Calendar periods start at local midnight in this IANA time zone (e.g. Europe/Berlin). Default UTC.'),
    ),
  },
  { ...closed, description: 'Billing-period quota; used up answers 402 unless the plan has an overage path.' },
);
export type Quota = Static<typeof Quota>;

const RouteGrant = Type.Union([
  described(Name, 'A route name: every method of that route.'),
  Type.Object({ route: Name, methods: Type.Array(Method, { minItems: 1 }) }, closed),
]);
export type RouteGrant = Static<typeof RouteGrant>;

export const OVERAGE_MODES = ['block', 'credits', 'bill'] as const;
export const REFILL_PERIODS = ['day', 'month'] as const;
export const Plan = Type.Object(
  {
    description: Type.Optional(Type.String()),
    rateLimit: Type.Optional(RateLimit),
    quota: Type.Optional(Quota),
    routes: Type.Optional(described(Type.Array(RouteGrant), 'Entitlements: the routes (and methods) this plan includes. Absent: all routes.')),
    overage: Type.Optional(
      described(Type.Enum(OVERAGE_MODES), 'When the quota is used up: block (402), draw from credits, or bill as overage. Default block.'),
    ),
    credits: Type.Optional(described(Type.Boolean(), 'Every request draws its cost from prepaid credits. Default false.')),
    refill: Type.Optional(
      Type.Object(
        {
          amount: described(Limit, 'Credits the balance is topped up to (never lowered: a larger balance stays).'),
          every: described(Type.Enum(REFILL_PERIODS), 'At the first admission of each day or month: calendar (UTC, or timeZone) or from the subscription start (anchor).'),
          anchor: Type.Optional(
            described(Type.Enum(['calendar', 'subscription']), 'Refill periods start: calendar (UTC, or timeZone) or at the subscription start (periodAnchor). Default calendar.'),
          ),
          timeZone: Type.Optional(
            described(Type.String({ minLength: 1 }), 'Calendar refill periods start at local midnight in this IANA time zone (e.g. Europe/Berlin). Default UTC.'),
          ),
        },
        { ...closed, description: 'Credits topped up on a schedule, as Unkey refills: the balance becomes at least amount once per period.' },
      ),
    ),
    billing: Type.Optional(
      Type.Object(
        { stripePriceIds: Type.Optional(Type.Array(Type.String({ pattern: '^price_[A-Za-z0-9]+$' }), { minItems: 1, description: 'Stripe prices whose subscriptions put a customer on this plan.' })) },
        { ...closed, description: 'How billing events map onto this plan.' },
      ),
    ),
  },
  closed,
);
export type Plan = Static<typeof Plan>;

export const PlanMap = closedRecord(Type.String({ pattern: NamePattern }), Plan, {
  description: 'Plans by name, lowest tier first (the order decides which plan is an upgrade).',
});

// ── Policy ───────────────────────────────────────────────────────────────────────────────────────

export const Service = Type.Object(
  {
    name: Name,
    url: Type.Optional(described(Url, 'Upstream URL. Omit to attach to a service that already exists in the gateway.')),
  },
  closed,
);

export const Route = Type.Object(
  {
    name: Name,
    paths: Type.Optional(Type.Array(Type.String({ pattern: '^/' }), { minItems: 1, description: 'Path prefixes. Omit to attach to an existing route by name.' })),
    methods: Type.Optional(Type.Array(Method, { minItems: 1 })),
    hosts: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9*.-]+$' }), { minItems: 1 })),
    stripPath: Type.Optional(Type.Boolean()),
  },
  closed,
);
export type Route = Static<typeof Route>;

export const LIMIT_BY = ['consumer', 'credential', 'header', 'ip'] as const;
export type LimitBy = (typeof LIMIT_BY)[number];
export const Identity = Type.Object(
  {
    auth: described(Type.Enum(['key-auth', 'none']), 'Gateway-native authentication.'),
    keyNames: Type.Optional(Type.Array(HeaderName, { minItems: 1, description: 'Where key-auth looks for the key. Default [apikey].' })),
    hideCredentials: Type.Optional(Type.Boolean()),
    anonymous: Type.Optional(described(Type.Boolean(), 'Let unauthenticated callers through to pay per request (x402). Default false.')),
    limitBy: Type.Enum(LIMIT_BY),
    header: Type.Optional(described(HeaderName, 'The header that identifies the caller when limitBy is header.')),
  },
  closed,
);
export type Identity = Static<typeof Identity>;

export const Costs = Type.Object(
  {
    default: Type.Optional(Type.Integer({ minimum: 0, description: 'Cost units of a request. Default 1.' })),
    routes: Type.Optional(closedRecord(Type.String({ pattern: NamePattern }), Type.Integer({ minimum: 0 }))),
    methods: Type.Optional(closedRecord(Type.String({ pattern: '^[A-Z]+$' }), Type.Integer({ minimum: 0 }))),
    mcp: Type.Optional(McpCosts),
    chargeOn: Type.Optional(
      described(Type.Enum(['request', 'success']), 'request: charge on admission; success: reserve, commit when the upstream answers < 500. Default request.'),
    ),
    onUnsettled: Type.Optional(
      described(
        Type.Enum(['commit', 'release']),
        'chargeOn success: what happens to a reservation whose outcome never reached the store before it expired (15 minutes): commit keeps the charge, release gives it back. Default release.',
      ),
    ),
    overdraft: Type.Optional(Overdraft),
    metered: Type.Optional(MeteredRoutes),
  },
  closed,
);

export const SUBSCRIPTION_STATUSES = ['active', 'trialing', 'past_due', 'unpaid', 'canceled', 'incomplete', 'paused'] as const;
const SubscriptionStatus = Type.Enum(SUBSCRIPTION_STATUSES);
export const Subscription = Type.Object(
  {
    required: Type.Boolean(),
    statuses: Type.Optional(Type.Array(SubscriptionStatus, { minItems: 1, description: 'Statuses that pass (until paidThrough + graceDays). Default [active, trialing, past_due]: a failed payment keeps access through the grace period.' })),
    graceDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 365, description: 'Days past paidThrough that a passing status (past_due included) still passes. Default 0.' })),
  },
  closed,
);

export const Payment = Type.Object(
  {
    upgradeUrl: Type.Optional(Url),
    billingUrl: Type.Optional(Url),
    topUpUrl: Type.Optional(Url),
    x402: Type.Optional(X402Offer),
  },
  { ...closed, description: 'How a client can pay, shown on every 402.' },
);

const Template = Type.String({ description: 'Text with {{consumer}}, {{plan}}, {{route}}, {{credential}}, {{header.NAME}}, {{query.NAME}}.' });
const HeaderOps = Type.Object(
  {
    add: Type.Optional(closedRecord(HeaderName, Template, { description: 'Added when absent.' })),
    set: Type.Optional(closedRecord(HeaderName, Template, { description: 'Set, replacing any value.' })),
    remove: Type.Optional(Type.Array(HeaderName)),
    rename: Type.Optional(closedRecord(HeaderName, HeaderName)),
  },
  closed,
);
const QueryName = Type.String({ pattern: '^[A-Za-z0-9._~-]+$' });
const QueryOps = Type.Object(
  {
    add: Type.Optional(closedRecord(QueryName, Template)),
    remove: Type.Optional(Type.Array(QueryName)),
    rename: Type.Optional(closedRecord(QueryName, QueryName)),
  },
  closed,
);
export const Rewrite = Type.Object(
  {
    request: Type.Optional(
      Type.Object(
        {
          headers: Type.Optional(HeaderOps),
          query: Type.Optional(QueryOps),
          path: Type.Optional(Type.String({ pattern: '^/', description: 'Replacement upstream path.' })),
        },
        closed,
      ),
    ),
  },
  closed,
);
export type Rewrite = Static<typeof Rewrite>;

const QuotaPercent = Type.Integer({ minimum: 1, maximum: 100, description: 'Percent of a billing-period quota.' });

export const Notifications = Type.Object(
  {
    url: described(Url, 'Where the signed webhooks are POSTed.'),
    secret: described(EnvRef, 'The signing secret (HMAC-SHA256, header Tollgate-Signature), from the environment of the gateway\'s Tollgate process.'),
    thresholds: Type.Optional(
      Type.Object(
        {
          quotaPercent: Type.Optional(
            Type.Array(QuotaPercent, { minItems: 1, uniqueItems: true, description: 'Notify when a quota reaches each of these percentages, once per billing period. Default [80, 100].' }),
          ),
          creditsBelow: Type.Optional(
            Type.Integer({ minimum: 1, description: 'Notify when a charge takes the credit balance below this, once until a grant or refund raises it again.' }),
          ),
        },
        closed,
      ),
    ),
    paymentDenied: Type.Optional(
      described(Type.Boolean(), 'Notify when an account is refused with a 402 (subscription, quota, credits, upgrade), once per reason and period. Default true.'),
    ),
  },
  { ...closed, description: 'Signed outgoing webhooks about accounts: quota thresholds, low credits, payment denials.' },
);
export type Notifications = Static<typeof Notifications>;

export const REASON_CODES = [
  'unauthenticated',
  'subscription-inactive',
  'plan-upgrade-required',
  'not-entitled',
  'rate-limited',
  'quota-exhausted',
  'insufficient-credits',
  'payment-required',
  'payment-invalid',
  'payment-malformed',
  'payment-allowance-required',
  'payment-unavailable',
  'store-unavailable',
  'invalid-request',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

function perReason<T extends TSchema>(value: T, description: string) {
  const properties = Object.fromEntries(REASON_CODES.map((r) => [r, Type.Optional(value)])) as Record<ReasonCode, ReturnType<typeof Type.Optional<T>>>;
  return Type.Object(properties, { ...closed, description });
}

export const Responses = Type.Object(
  {
    headers: Type.Optional(
      described(
        Type.Enum(['ietf', 'legacy', 'both', 'none']),
        'ietf: RateLimit/RateLimit-Policy (draft-11); legacy: RateLimit-* and X-RateLimit-*. Default ietf.',
      ),
    ),
    problemBaseUri: Type.Optional(described(Url, 'Base of problem type URIs. Default https://tollgate.dev/problems/.')),
    messages: Type.Optional(perReason(Type.String({ minLength: 1 }), 'Override the detail message per reason.')),
    types: Type.Optional(perReason(Url, 'Override the problem type URI per reason.')),
  },
  closed,
);


export type Costs = Static<typeof Costs>;
export type Subscription = Static<typeof Subscription>;
export type Payment = Static<typeof Payment>;
export type Responses = Static<typeof Responses>;
export type Service = Static<typeof Service>;

export const PolicySpec = Type.Object(
  {
    service: Type.Optional(Service),
    routes: Type.Array(Route, { minItems: 1 }),
    identity: Identity,
    usePlans: Type.Optional(described(Name, 'Name of a Plans document whose plans this policy uses.')),
    plans: Type.Optional(PlanMap),
    defaultPlan: Type.Optional(described(Name, 'Plan of consumers without one.')),
    costs: Type.Optional(Costs),
    subscription: Type.Optional(Subscription),
    payment: Type.Optional(Payment),
    rewrite: Type.Optional(Rewrite),
    responses: Type.Optional(Responses),
    store: Type.Optional(PolicyStore),
    notifications: Type.Optional(Notifications),
    usageEndpoint: Type.Optional(
      Type.String({
        pattern: '^/[^\\s?#]*$',
        description: 'A path (GET) on which the gateway answers the authenticated caller\'s own usage: plan, quotas, credits, rate windows. It must lie under a route of this policy.',
      }),
    ),
  },
  closed,
);
export type PolicySpec = Static<typeof PolicySpec>;

export const Consumer = Type.Object(
  {
    name: Name,
    customId: Type.Optional(Type.String({ minLength: 1 })),
    plan: Type.Optional(Name),
    credentials: Type.Optional(
      Type.Object({ keyAuth: Type.Optional(Type.Array(Secret, { minItems: 1, description: 'API keys, as env references.' })) }, closed),
    ),
    labels: Type.Optional(closedRecord(Type.String(), Type.String())),
  },
  closed,
);
export type Consumer = Static<typeof Consumer>;

const ApiVersion = Type.Literal('tollgate.dev/v1');

/** A Tollgate document of one kind: apiVersion, kind, metadata, spec. */
export function documentOf<K extends string, S extends TSchema>(kind: K, spec: S) {
  return Type.Object({ apiVersion: ApiVersion, kind: Type.Literal(kind), metadata: Metadata, spec }, closed);
}

export const PolicyDocument = documentOf('Policy', PolicySpec);
export const PlansDocument = documentOf('Plans', Type.Object({ plans: PlanMap }, closed));
export const ConsumersDocument = documentOf('Consumers', Type.Object({ consumers: Type.Array(Consumer) }, closed));

export type PolicyDocument = Static<typeof PolicyDocument>;
export type PlansDocument = Static<typeof PlansDocument>;
export type ConsumersDocument = Static<typeof ConsumersDocument>;
