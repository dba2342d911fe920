import { describe, expect, it } from 'vitest';
import type { CapturedBody } from '../types.js';
import { readTokens, type UsageReader } from './usage.js';

const whole = (text: string): CapturedBody => ({ head: text, tail: '', size: text.length });
const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream; charset=utf-8';
const openai: UsageReader = { kind: 'openai' };
const anthropic: UsageReader = { kind: 'anthropic' };

const OPENAI_BODY = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello "usage": {"prompt_tokens": 1}' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 },
});

const chunk = (delta: string, usage: unknown = null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: delta === '' ? [] : [{ index: 0, delta: { content: delta } }], usage })}\n\n`;
const OPENAI_STREAM = `${chunk('Hel')}${chunk('lo')}${chunk('', { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 })}data: [DONE]\n\n`;

const anthropicEvent = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify({ type, ...(data as object) })}\n\n`;
const ANTHROPIC_STREAM = [
  anthropicEvent('message_start', { message: { id: 'msg_1', role: 'assistant', usage: { input_tokens: 25, output_tokens: 1 } } }),
  anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
  anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } }),
  anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15 } }),
  anthropicEvent('message_stop', {}),
].join('');

describe('token usage from a JSON body', () => {
  it('reads OpenAI and Anthropic bodies', () => {
    expect(readTokens(openai, whole(OPENAI_BODY), JSON_TYPE)).toEqual({ input: 19, output: 10 });
    const body = JSON.stringify({ id: 'msg', content: [{ type: 'text', text: 'Hi' }], usage: { input_tokens: 12, output_tokens: 6 } });
    expect(readTokens(anthropic, whole(body), JSON_TYPE)).toEqual({ input: 12, output: 6 });
  });

  it('reads field paths and a total (as input tokens)', () => {
    const body = whole('{"meta":{"tokens":{"in":4,"out":5,"all":9}}}');
    expect(readTokens({ kind: 'fields', input: ['meta', 'tokens', 'in'], output: ['meta', 'tokens', 'out'] }, body, JSON_TYPE)).toEqual({ input: 4, output: 5 });
    expect(readTokens({ kind: 'total', total: ['meta', 'tokens', 'all'] }, body, undefined)).toEqual({ input: 9, output: 0 });
  });

  it.each([
    ['a missing field', '{"usage":{"prompt_tokens":3}}'],
    ['a float', '{"usage":{"prompt_tokens":3.5,"completion_tokens":1}}'],
    ['a negative count', '{"usage":{"prompt_tokens":-3,"completion_tokens":1}}'],
    ['a string', '{"usage":{"prompt_tokens":"3","completion_tokens":1}}'],
    ['a count beyond 2^53', '{"usage":{"prompt_tokens":9007199254740993,"completion_tokens":1}}'],
    ['no JSON', 'upstream error'],
  ])('is unreadable with %s', (_name, text) => {
    expect(readTokens(openai, whole(text), JSON_TYPE)).toBeUndefined();
  });

  it('reads the usage from the tail of a body too large to capture whole', () => {
    const text = JSON.stringify({ choices: [{ message: { content: 'x'.repeat(200_000) } }], usage: { prompt_tokens: 1000, completion_tokens: 50_000 } });
    const body = { head: text.slice(0, 16_384), tail: text.slice(-49_152), size: text.length };
    expect(readTokens(openai, body, JSON_TYPE)).toEqual({ input: 1000, output: 50_000 });
  });
});

describe('token usage from an SSE stream', () => {
  it('reads the last OpenAI chunk with usage', () => {
    expect(readTokens(openai, whole(OPENAI_STREAM), SSE_TYPE)).toEqual({ input: 8, output: 2 });
  });

  it('is unreadable when the stream has no usage chunk (include_usage off)', () => {
    expect(readTokens(openai, whole(`${chunk('Hi')}data: [DONE]\n\n`), SSE_TYPE)).toBeUndefined();
  });

  it('reads Anthropic: input from message_start, output from the last message_delta', () => {
    expect(readTokens(anthropic, whole(ANTHROPIC_STREAM), SSE_TYPE)).toEqual({ input: 25, output: 15 });
  });

  it('takes the input tokens of a message_delta that reports them (cumulative usage)', () => {
    const stream = ANTHROPIC_STREAM.replace('"usage":{"output_tokens":15}', '"usage":{"input_tokens":30,"output_tokens":15}');
    expect(readTokens(anthropic, whole(stream), SSE_TYPE)).toEqual({ input: 30, output: 15 });
  });

  it('is unreadable for an Anthropic stream cut before its message_delta', () => {
    expect(readTokens(anthropic, whole(ANTHROPIC_STREAM.slice(0, ANTHROPIC_STREAM.indexOf('event: message_delta'))), SSE_TYPE)).toBeUndefined();
  });

  it('reads a long stream from its head and tail, sniffed without a Content-Type', () => {
    const middle = chunk('token ').repeat(2000);
    const text = `${chunk('start')}${middle}${chunk('', { prompt_tokens: 11, completion_tokens: 2001, total_tokens: 2012 })}data: [DONE]\n\n`;
    const body = { head: text.slice(0, 16_384), tail: text.slice(-49_152), size: text.length };
    expect(readTokens(openai, body, undefined)).toEqual({ input: 11, output: 2001 });
    const anthropicBody = { head: ANTHROPIC_STREAM.slice(0, 60), tail: ANTHROPIC_STREAM.slice(60), size: ANTHROPIC_STREAM.length };
    // The head lost message_start's end: its input count is gone, so the usage is unreadable.
    expect(readTokens(anthropic, anthropicBody, SSE_TYPE)).toBeUndefined();
  });
});
