// Scenario files (`kind: Scenarios`, e.g. `weather-api.scenarios.yaml` beside the policy): a clock,
// account state and requests with what must come back, run by `tollgate test` on the engine with
// the memory store. Defined once here; schema/scenarios.schema.json is generated from it.
import Type, { type Static, type TSchema } from 'typebox';
import { closed, described, documentOf, HTTP_METHODS, NamePattern, REASON_CODES, SUBSCRIPTION_STATUSES } from './policy-schema.js';

const Instant = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})$',
  description: 'An ISO 8601 instant, e.g. 2026-03-10T12:00:00Z.',
});
const AccountId = Type.String({ minLength: 1, description: 'A consumer username, or ip:<addr>, hdr:<value>, cred:<id>.' });
const Strings = Type.Record(Type.String(), Type.String());
const StringsOrAbsent = Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), { description: 'Exact values by name; null: absent.' });
const Members = Type.Record(Type.String(), Type.Unknown(), { description: 'Members that must be present with these values (objects compared as subsets, null: absent).' });

export const ScenarioAccount = Type.Object(
  {
    plan: Type.Optional(Type.String({ pattern: NamePattern })),
    status: Type.Optional(Type.Enum(SUBSCRIPTION_STATUSES)),
    paidThrough: Type.Optional(Instant),
    periodAnchor: Type.Optional(described(Instant, 'Start of the billing period for quotas anchored to the subscription.')),
    credits: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { ...closed, description: 'Account state before the first step, as billing would have set it.' },
);
export type ScenarioAccount = Static<typeof ScenarioAccount>;
const Accounts = Type.Record(Type.String({ minLength: 1 }), ScenarioAccount, { description: 'Accounts by id: a consumer username, or ip:<addr>, hdr:<value>, cred:<id>.' });

export const ScenarioRequest = Type.Object(
  {
    method: Type.Enum(HTTP_METHODS),
    path: Type.String({ pattern: '^/' }),
    host: Type.Optional(Type.String()),
    headers: Type.Optional(Strings),
    query: Type.Optional(Strings),
    ip: Type.Optional(described(Type.String(), 'Client IP. Default 203.0.113.7.')),
    consumer: Type.Optional(described(Type.String(), 'The consumer the gateway authenticated (key-auth username). Absent: none, or the anonymous consumer when the policy lets keyless callers in.')),
    credential: Type.Optional(described(Type.String(), 'The id of the credential the consumer authenticated with.')),
    requestId: Type.Optional(Type.String()),
    body: Type.Optional(described(Type.String(), 'The request body (UTF-8), as the gateway delivers it on routes that read it: a metered route reads the model and its estimate from it, an MCP route its JSON-RPC message or batch.')),
  },
  { ...closed, description: 'A request as the gateway hands it to Tollgate.' },
);
export type ScenarioRequest = Static<typeof ScenarioRequest>;

function op<K extends string, S extends TSchema>(kind: K, args: S) {
  return Type.Object({ [kind]: args } as Record<K, S>, closed);
}
const Amount = Type.Integer({ minimum: 1 });
export const ScenarioOperation = Type.Union(
  [
    op('set-plan', Type.Object({ account: AccountId, plan: Type.Union([Type.String({ pattern: NamePattern }), Type.Null()]) }, closed)),
    op('set-status', Type.Object({ account: AccountId, status: Type.Enum(SUBSCRIPTION_STATUSES), paidThrough: Type.Optional(Instant) }, closed)),
    op(
      'grant',
      Type.Object(
        {
          account: AccountId,
          amount: Amount,
          key: Type.Optional(Type.String({ minLength: 1 })),
          expiresAt: Type.Optional(described(Instant, 'What is left of the grant leaves the balance then; spent before permanent credits, soonest-expiring first.')),
        },
        closed,
      ),
    ),
    op('debit', Type.Object({ account: AccountId, amount: Amount, key: Type.Optional(Type.String({ minLength: 1 })) }, closed)),
    op(
      'refund',
      Type.Object(
        {
          account: AccountId,
          amount: Amount,
          key: Type.Optional(Type.String({ minLength: 1 })),
          debit: Type.Optional(described(Type.String({ minLength: 1 }), "The debit's key: the refund gives it back to the grants it took from while they are open.")),
        },
        closed,
      ),
    ),
  ],
  { description: 'An account operation, as billing or an operator would run it: { grant: { account, amount, key } }.' },
);
export type ScenarioOperation = Static<typeof ScenarioOperation>;

export const ScenarioExpectation = Type.Object(
  {
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
    reason: Type.Optional(described(Type.Enum(REASON_CODES), 'The reason of a denial: the last segment of the problem type.')),
    headers: Type.Optional(StringsOrAbsent),
    body: Type.Optional(
      Type.Union([Members, Type.Array(Type.Unknown())], {
        description: 'Members of the problem+json body (or of an MCP route\'s JSON-RPC answer); a list: the JSON-RPC batch answer, one expectation per element (objects compared as subsets).',
      }),
    ),
    paymentRequired: Type.Optional(described(Members, 'Members of the x402 challenge decoded from PAYMENT-REQUIRED.')),
    upstream: Type.Optional(
      Type.Object(
        { headers: Type.Optional(StringsOrAbsent), query: Type.Optional(StringsOrAbsent), path: Type.Optional(Type.String()) },
        { ...closed, description: 'What the upstream receives after rewrites.' },
      ),
    ),
    result: Type.Optional(described(Type.String(), 'For operations: applied, duplicate, insufficient, …')),
    balance: Type.Optional(described(Type.Integer(), 'For operations: the balance after.')),
  },
  closed,
);
export type ScenarioExpectation = Static<typeof ScenarioExpectation>;

export const UpstreamAnswer = Type.Object(
  {
    status: Type.Optional(described(Type.Integer({ minimum: 100, maximum: 599 }), 'The status (or give upstreamStatus). Default 200.')),
    headers: Type.Optional(described(Strings, 'Response headers, e.g. the cost header of a metered route and Content-Type.')),
    body: Type.Optional(described(Type.String(), 'The response body: JSON, or an SSE stream (text/event-stream), whose usage a metered route reads.')),
  },
  { ...closed, description: 'What the upstream answers an allowed request: a metered route settles its cost from it.' },
);
export type UpstreamAnswer = Static<typeof UpstreamAnswer>;

export const ScenarioStep = Type.Object(
  {
    advance: Type.Optional(described(Type.Integer({ minimum: 0 }), 'Milliseconds to move the clock before this step.')),
    at: Type.Optional(described(Instant, 'Move the clock to this instant before this step.')),
    repeat: Type.Optional(described(Type.Integer({ minimum: 1, maximum: 10000 }), 'Send the request this many times, each with the same expectations.')),
    request: Type.Optional(ScenarioRequest),
    op: Type.Optional(ScenarioOperation),
    upstreamStatus: Type.Optional(described(Type.Integer({ minimum: 100, maximum: 599 }), 'What the upstream answers an allowed request. Default 200.')),
    upstream: Type.Optional(UpstreamAnswer),
    expect: Type.Optional(ScenarioExpectation),
    state: Type.Optional(described(Type.Record(Type.String({ minLength: 1 }), Members), 'Account members after the step, by account id.')),
  },
  { ...closed, description: 'One request or one account operation (exactly one of them).' },
);
export type ScenarioStep = Static<typeof ScenarioStep>;

export const Scenario = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    clock: Type.Optional(described(Instant, 'The instant of the first step. Default: spec.clock.')),
    accounts: Type.Optional(described(Accounts, 'Accounts of this scenario, over spec.accounts.')),
    steps: Type.Array(ScenarioStep, { minItems: 1 }),
  },
  { ...closed, description: 'Starts from a fresh store: scenarios do not share state.' },
);
export type Scenario = Static<typeof Scenario>;

export const ScenariosSpec = Type.Object(
  {
    policy: described(Type.String({ pattern: NamePattern }), 'metadata.name of the Policy under test.'),
    clock: described(Instant, 'The instant of every scenario\'s first step.'),
    accounts: Type.Optional(described(Accounts, 'Accounts every scenario starts with.')),
    scenarios: Type.Array(Scenario, { minItems: 1 }),
  },
  closed,
);

export const ScenariosDocument = documentOf('Scenarios', ScenariosSpec);
export type ScenariosDocument = Static<typeof ScenariosDocument>;
