// Helpers for the codec parts built on the flatc-generated code (the APISIX side, the runner's rare
// frames): building frames, reading verified buffers and converting TextEntry vectors.
import { Builder, ByteBuffer } from 'flatbuffers';
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

/** Verifies `payload` against `shape`, then reads it; never throws on hostile bytes. */
export function decodeRoot<T>(payload: Uint8Array, shape: TableShape, what: string, read: (bb: ByteBuffer) => T): Decoded<T> {
  const problem = verifyRoot(payload, shape);
  if (problem !== undefined) return { ok: false, error: `invalid ${what}: ${problem}` };
  return { ok: true, value: read(new ByteBuffer(payload)) };
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
    const name = b.createString(entry.name);
    const value = entry.value === undefined ? 0 : b.createString(entry.value);
    TextEntryTable.startTextEntry(b);
    TextEntryTable.addName(b, name);
    if (value !== 0) TextEntryTable.addValue(b, value);
    return TextEntryTable.endTextEntry(b);
  });
  return createVector(b, offsets);
}

/** Copies a byte vector out of the frame so that decoded values never alias a reused buffer. */
export function copyBytes(view: Uint8Array | null): Uint8Array | undefined {
  return view === null ? undefined : Uint8Array.prototype.slice.call(view);
}
