// What --explain says of each metered route: what its admission holds, where the response states
// the actual cost and how tokens are priced. How each gateway path gets the body or header there is
// the target's own line per route.
import type { MeteredRoute } from '@tollgate/policy/schema';
import { REQUEST_BODY_LIMIT, RESPONSE_CAPTURE } from '@tollgate/engine';
import type { EngineConfig } from '../engine-config.js';
import type { Lowered } from '../explain.js';

export function meteredWork(config: EngineConfig): Lowered[] {
  const onServerError = config.costs.chargeOn === 'success' ? 'given back on a 5xx' : 'settled on a 5xx too (chargeOn request)';
  const overdraft = config.costs.overdraft ?? 0;
  const beyond = overdraft > 0 ? `the balance may go ${overdraft} units below zero, the rest is written off` : 'what the balance cannot take is written off';
  return Object.entries(config.costs.metered ?? {}).map(([route, spec]) => ({
    feature: `metered cost of route ${route}`,
    detail: `holds ${estimateOf(spec)}, then settles ${sourceOf(spec)}; ${onServerError}; an unreadable cost settles the estimate; ${beyond}`,
  }));
}

function estimateOf(spec: MeteredRoute): string {
  const { estimate } = spec;
  if (typeof estimate === 'number') return `${estimate} units`;
  const input = estimate.inputTokens ?? 0;
  return `request body field ${estimate.requestField} tokens at the output price${input > 0 ? ` plus ${input} input tokens at the input price` : ''} (else ${estimate.fallback} units; the gateway sends the request body, up to ${REQUEST_BODY_LIMIT / 1024 / 1024} MiB)`;
}

function sourceOf(spec: MeteredRoute): string {
  if (spec.header !== undefined) return `the units the upstream states in response header ${spec.header} (removed before the client sees it)`;
  const usage = spec.usage;
  const where =
    usage === 'openai'
      ? 'the OpenAI usage (usage.prompt_tokens, usage.completion_tokens) of the JSON body, or of the last chunk of an SSE stream (stream_options.include_usage)'
      : usage === 'anthropic'
        ? 'the Anthropic usage of the JSON body, or of the stream\'s message_start (input) and last message_delta (output)'
        : usage !== undefined && 'total' in usage
          ? `the tokens in body field ${usage.total}, at the input price`
          : `the tokens in body fields ${usage?.input ?? ''} (input) and ${usage?.output ?? ''} (output)`;
  const models = Object.keys(spec.prices ?? {}).join(', ');
  const model = (spec.model ?? 'body') === 'body' ? `the request body's model (${models})` : 'the "*" price';
  return `${where} (at most its first ${RESPONSE_CAPTURE.head / 1024} KiB and last ${RESPONSE_CAPTURE.tail / 1024} KiB are read), priced at ${model} per ${spec.per ?? 1} tokens and rounded up to a whole unit`;
}
