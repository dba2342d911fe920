// Helpers shared by both directions of the codec: building frames, reading verified buffers and
// converting TextEntry vectors.
import { Builder, ByteBuffer, Encoding } from 'flatbuffers';
import { TextEntry as TextEntryTable } from '../generated/a6/text-entry.js';
import { encodeFrame } from './frame.js';
import type { TextEntry } from './messages.js';
import { verifyRoot, type TableShape } from './verify.js';

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

// Encoding is synchronous and the frame copies the bytes out, so one builder serves every message.
const builder = new Builder(1024);

/** Builds one message with the shared builder and returns it framed with `type`. */
export function buildFrame(type: number, build: (b: Builder) => number): Buffer {
  builder.clear();
  builder.finish(build(builder));
  return encodeFrame(type, builder.asUint8Array());
}

/**
 * Reads strings straight out of the frame with Buffer's UTF-8 decoder: the stock reader makes a
 * subarray and a TextDecoder call per string, which dominated decoding a request's headers.
 * Malformed UTF-8 becomes U+FFFD either way.
 */
class FrameByteBuffer extends ByteBuffer {
  constructor(private readonly frame: Buffer) {
    super(frame);
  }

  override __string(offset: number, encoding?: Encoding): string | Uint8Array {
    const start = offset + this.readInt32(offset) + 4;
    // TextDecoder drops a leading byte order mark; the stock path keeps that behaviour.
    if (encoding === Encoding.UTF8_BYTES || this.frame[start] === 0xef) return super.__string(offset, encoding);
    return this.frame.toString('utf8', start, start + this.readInt32(start - 4));
  }
}

/** Verifies `payload` against `shape`, then reads it; never throws on hostile bytes. */
export function decodeRoot<T>(payload: Uint8Array, shape: TableShape, what: string, read: (bb: ByteBuffer) => T): Decoded<T> {
  const problem = verifyRoot(payload, shape);
  if (problem !== undefined) return { ok: false, error: `invalid ${what}: ${problem}` };
  const frame = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return { ok: true, value: read(new FrameByteBuffer(frame)) };
}

export function readTextEntries(length: number, at: (index: number) => TextEntryTable | null): TextEntry[] {
  const entries: TextEntry[] = [];
  for (let i = 0; i < length; i++) {
    const entry = at(i);
    if (entry === null) continue;
    const value = entry.value();
    entries.push(value === null ? { name: entry.name() ?? '' } : { name: entry.name() ?? '', value });
  }
  return entries;
}

/** Writes the entries and returns the vector offset, or 0 (field omitted) when there are none. */
export function writeTextEntries(b: Builder, entries: readonly TextEntry[] | undefined, createVector: (b: Builder, offsets: number[]) => number): number {
  if (entries === undefined || entries.length === 0) return 0;
  const offsets = entries.map((entry) => {
    const name = writeString(b, entry.name);
    const value = entry.value === undefined ? 0 : writeString(b, entry.value);
    TextEntryTable.startTextEntry(b);
    TextEntryTable.addName(b, name);
    if (value !== 0) TextEntryTable.addValue(b, value);
    return TextEntryTable.endTextEntry(b);
  });
  return createVector(b, offsets);
}

/**
 * Builder.createString, minus its TextEncoder allocation for the common all-ASCII string (header
 * names, RateLimit values): the bytes go straight into the builder, back to front as it grows.
 */
export function writeString(b: Builder, text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return b.createString(text);
  b.addInt8(0);
  b.startVector(1, text.length, 1);
  for (let i = text.length - 1; i >= 0; i--) b.writeInt8(text.charCodeAt(i));
  return b.endVector();
}

/** Copies a byte vector out of the frame so that decoded values never alias a reused buffer. */
export function copyBytes(view: Uint8Array | null): Uint8Array | undefined {
  return view === null ? undefined : Uint8Array.prototype.slice.call(view);
}
