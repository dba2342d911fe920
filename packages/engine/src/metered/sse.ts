// Server-sent events (text/event-stream) read back from a captured body: the events whole in the
// head and in the tail. A capture with a tail lost the middle of the stream: the head's last block
// and the tail's first block may be cut, so both are skipped (the tail's first block is skipped even
// when the cut happens to fall on an event boundary: the two cannot be told apart).
import type { CapturedBody } from '../types.js';

export interface SseEvent {
  /** The `event:` field; `message` when absent, as EventSource names it. */
  readonly event: string;
  /** The `data:` lines joined with a line feed. */
  readonly data: string;
}

/** The complete events of the captured stream, in order. */
export function sseEvents(body: CapturedBody): SseEvent[] {
  if (body.tail === '') return eventsOf(completeBlocks(body.head));
  const tailBlocks = completeBlocks(body.tail);
  return [...eventsOf(completeBlocks(body.head)), ...eventsOf(tailBlocks.slice(1))];
}

/**
 * The blocks (events) of a text that end with a blank line; what follows the last blank line is
 * an event still incomplete, which the SSE spec discards at the end of a stream.
 */
function completeBlocks(text: string): string[] {
  const blocks = text.replace(/\r\n?/g, '\n').split('\n\n');
  blocks.pop();
  return blocks;
}

function eventsOf(blocks: readonly string[]): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return events;
}
