// Metered routes (`costs.metered`): the cost of a request comes from the upstream's response (a
// cost header, token usage in a JSON body or at the end of an SSE stream) instead of being fixed.
// Admission holds an estimate; the response settles the actual, above or below it.
import Type, { type Static } from 'typebox';
import { closed, closedRecord, described, HeaderName, NamePattern } from './schema-parts.js';

const Units = Type.Integer({ minimum: 0 });
const Rate = Type.Integer({ minimum: 0, description: 'Cost units per `per` tokens.' });

/** A dotted path into a JSON document: `usage.total_tokens`. Array indices are not needed by any provider. */
export const JSON_FIELD_PATTERN = '^[A-Za-z_$][A-Za-z0-9_$-]*(\\.[A-Za-z_$][A-Za-z0-9_$-]*)*$';
const JsonField = Type.String({ pattern: JSON_FIELD_PATTERN, description: 'A dotted path to an integer field of the JSON body, e.g. usage.total_tokens.' });

export const USAGE_FORMATS = ['openai', 'anthropic'] as const;
export const MeteredUsage = Type.Union(
  [
    described(
      Type.Enum(USAGE_FORMATS),
      'openai: usage.prompt_tokens and usage.completion_tokens of the JSON body, or of the last SSE chunk carrying usage (stream_options.include_usage). anthropic: usage.input_tokens and usage.output_tokens of the body, or of the message_start and message_delta events of a stream.',
    ),
    Type.Object({ input: JsonField, output: JsonField }, { ...closed, description: 'Input and output tokens from these fields of the JSON body, priced at the input and output rates.' }),
    Type.Object({ total: JsonField }, { ...closed, description: 'All tokens from this field of the JSON body, priced at the input rate.' }),
  ],
  { description: 'Where the response reports the tokens it used.' },
);
export type MeteredUsage = Static<typeof MeteredUsage>;

export const ModelPrice = Type.Object({ input: Rate, output: Rate }, { ...closed, description: 'Units per `per` input tokens and per `per` output tokens.' });
export type ModelPrice = Static<typeof ModelPrice>;

export const ComputedEstimate = Type.Object(
  {
    requestField: described(JsonField, 'The request body field bounding the output tokens, e.g. max_tokens: priced at the output rate of the request\'s model.'),
    inputTokens: Type.Optional(described(Type.Integer({ minimum: 0 }), 'Input tokens assumed, priced at the input rate. Default 0.')),
    fallback: described(Units, 'Units held when the request has no such integer field (or no readable JSON body).'),
  },
  { ...closed, description: 'Hold what the request may cost at most: requestField output tokens plus inputTokens input tokens, priced.' },
);
export type ComputedEstimate = Static<typeof ComputedEstimate>;

export const MODEL_SOURCES = ['body', 'route'] as const;
export const MeteredRoute = Type.Object(
  {
    estimate: described(Type.Union([Units, ComputedEstimate]), 'Units held at admission: a fixed amount, or computed from the request. The response then settles the actual cost.'),
    header: Type.Optional(described(HeaderName, 'The upstream states the cost in integer units in this response header; it is removed before the client sees the response.')),
    usage: Type.Optional(MeteredUsage),
    prices: Type.Optional(
      closedRecord(Type.String({ minLength: 1 }), ModelPrice, {
        description: 'Token prices by model name (exact, case-sensitive); "*" prices every other model. A model without a price (and no "*") is charged the estimate.',
      }),
    ),
    per: Type.Optional(described(Type.Integer({ minimum: 1 }), 'Prices are per this many tokens; a cost is rounded up to a whole unit. Default 1.')),
    model: Type.Optional(
      described(Type.Enum(MODEL_SOURCES), 'body: the model is the request body\'s `model` field; route: every request is priced "*". Default body.'),
    ),
  },
  { ...closed, description: 'A route whose cost comes from the response: a header or token usage (exactly one).' },
);
export type MeteredRoute = Static<typeof MeteredRoute>;

export const MeteredRoutes = closedRecord(Type.String({ pattern: NamePattern }), MeteredRoute, {
  description: 'Per route name: the actual cost comes from the upstream\'s response. A metered route always reserves its estimate and settles the actual (whatever chargeOn says).',
});

export const Overdraft = described(
  Type.Integer({ minimum: 0 }),
  'Units a settlement may take the credit balance below zero when the actual cost exceeds the estimate; beyond that it is written off. Default 0.',
);
