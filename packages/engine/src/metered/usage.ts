// Token usage read from a captured response body: a JSON body (whole, or its head and tail) or an
// SSE stream (OpenAI's last chunk with `usage`, sent with stream_options.include_usage; Anthropic's
// message_start and message_delta events). Undefined when the body does not say.
import type { CapturedBody } from '../types.js';
import { countAt, fieldPath, parseJson } from './json-fields.js';
import { lastMember } from './json-member.js';
import { sseEvents, type SseEvent } from './sse.js';

export type UsageReader =
  | { readonly kind: 'openai' }
  | { readonly kind: 'anthropic' }
  | { readonly kind: 'fields'; readonly input: readonly string[]; readonly output: readonly string[] }
  /** All tokens in one count: read as input tokens. */
  | { readonly kind: 'total'; readonly total: readonly string[] };

export interface Tokens {
  readonly input: number;
  readonly output: number;
}

const OPENAI = { input: fieldPath('usage.prompt_tokens'), output: fieldPath('usage.completion_tokens') };
const ANTHROPIC = { input: fieldPath('usage.input_tokens'), output: fieldPath('usage.output_tokens') };

export function readTokens(reader: UsageReader, body: CapturedBody, contentType: string | undefined): Tokens | undefined {
  const stream = isEventStream(body, contentType);
  if (reader.kind === 'anthropic' && stream) return anthropicStream(sseEvents(body));
  const paths = pathsOf(reader);
  return stream ? lastEventWith(sseEvents(body), paths) : fromJson(body, paths);
}

/** The paths of the input and output counts (a total has no output path: its output is 0). */
function pathsOf(reader: UsageReader): readonly (readonly string[])[] {
  switch (reader.kind) {
    case 'openai':
      return [OPENAI.input, OPENAI.output];
    case 'anthropic':
      return [ANTHROPIC.input, ANTHROPIC.output];
    case 'fields':
      return [reader.input, reader.output];
    case 'total':
      return [reader.total];
  }
}

function tokensOf(counts: readonly (number | undefined)[]): Tokens | undefined {
  const [input, output = 0] = counts;
  if (input === undefined || counts.includes(undefined)) return undefined;
  return { input, output };
}

/** By Content-Type; without one, a body that starts as a JSON object is JSON and anything else a stream. */
function isEventStream(body: CapturedBody, contentType: string | undefined): boolean {
  if (contentType !== undefined) return contentType.toLowerCase().includes('text/event-stream');
  return !body.head.trimStart().startsWith('{');
}

function fromJson(body: CapturedBody, paths: readonly (readonly string[])[]): Tokens | undefined {
  if (body.tail === '') {
    const document = parseJson(body.head);
    return tokensOf(paths.map((path) => countAt(document, path)));
  }
  // Cut in the middle: each count is looked up by its first key, in the tail first (usage comes last).
  return tokensOf(paths.map((path) => memberCount(body.tail, path) ?? memberCount(body.head, path)));
}

function memberCount(text: string, path: readonly string[]): number | undefined {
  const [first, ...rest] = path;
  if (first === undefined) return undefined;
  const value = lastMember(text, first);
  return value === undefined ? undefined : countAt(value, rest);
}

/** The last data event (before `[DONE]`) in which every count is present. */
function lastEventWith(events: readonly SseEvent[], paths: readonly (readonly string[])[]): Tokens | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const data = (events[i] as SseEvent).data;
    if (data === '[DONE]') continue;
    const document = parseJson(data);
    const tokens = tokensOf(paths.map((path) => countAt(document, path)));
    if (tokens !== undefined) return tokens;
  }
  return undefined;
}

const START_INPUT = fieldPath('message.usage.input_tokens');

/**
 * Anthropic streams: message_start carries the input tokens; each message_delta carries the usage
 * so far (output_tokens cumulative, and in newer versions input_tokens too): the last one counts.
 */
function anthropicStream(events: readonly SseEvent[]): Tokens | undefined {
  let input: number | undefined;
  let delta: unknown;
  for (const event of events) {
    const document = parseJson(event.data);
    const type = (document as { type?: unknown } | undefined)?.type ?? event.event;
    if (type === 'message_start') input = countAt(document, START_INPUT);
    else if (type === 'message_delta') delta = document;
  }
  const output = countAt(delta, ANTHROPIC.output);
  const finalInput = countAt(delta, ANTHROPIC.input) ?? input;
  return output === undefined || finalInput === undefined ? undefined : { input: finalInput, output };
}
