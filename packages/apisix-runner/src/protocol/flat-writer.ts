// A front-to-back FlatBuffers writer for the answers the runner sends on every call. The npm
// Builder writes back to front through a general API (alignment prep, a vtable search per table,
// a call per byte) and took about three times as long for an allow answer with its RateLimit
// headers. Here every table is its vtable followed by the table, and everything a table refers
// to is appended after it, so every offset points forward as the format requires; each item
// starts 4-aligned. The layout differs from the Builder's (FlatBuffers encoding is not
// canonical); the format does not: the tests read these frames back with the flatc-generated readers.
import { FrameTooLargeError } from './frame.js';
import { HEADER_BYTES, MAX_PAYLOAD_BYTES } from './rpc.js';

/** Bit i set = field i (in schema declaration order) is present. */
export type FieldMask = number;

/**
 * Every field gets a 4-byte slot, in declaration order after the table's vtable offset: enough
 * for the u8/u16/u32 scalars and offsets of this schema, and one rule instead of a layout per table.
 */
export function fieldAt(table: number, index: number): number {
  return table + 4 + 4 * index;
}

/** The mask bit of field `index` when `present`. */
export function fieldBit(index: number, present: boolean): FieldMask {
  return present ? 1 << index : 0;
}

/**
 * Frames are written into a zeroed slab, one after the other, and handed out as views of it: no
 * copy per frame, and bytes a frame does not set are zero. A slab region is never written twice,
 * so a frame stays intact while a socket holds it; a full slab is left to the frames still using it.
 */
const SLAB_BYTES = 64 * 1024;

export class FlatWriter {
  private slab = Buffer.alloc(SLAB_BYTES);
  /** Where the frame being written starts in the slab; positions handed out are relative to it. */
  private base = 0;
  private end = 0;

  /**
   * Starts a frame of `type` and returns the position of its root offset: pass it to table() to
   * write the root table.
   */
  begin(type: number): number {
    this.end = 0;
    this.reserve(HEADER_BYTES + 4);
    this.slab[this.base] = type;
    this.end = HEADER_BYTES + 4;
    return HEADER_BYTES;
  }

  /**
   * Appends a table of `fieldCount` fields, the `present` ones listed in its vtable, points the
   * offset at `from` to it and returns its position. Fill its fields (fieldAt) with u8/u16/u32
   * and the children appended after it; fields left alone stay zero.
   */
  table(from: number, fieldCount: number, present: FieldMask): number {
    const vtableBytes = 4 + 2 * fieldCount;
    const vtable = this.end;
    const table = vtable + align4(vtableBytes);
    const end = fieldAt(table, fieldCount);
    this.reserve(end - vtable);
    this.u16(vtable, vtableBytes);
    this.u16(vtable + 2, end - table);
    for (let i = 0; i < fieldCount; i++) if ((present >> i) & 1) this.u16(vtable + 4 + 2 * i, fieldAt(0, i));
    this.u32(table, table - vtable);
    this.u32(from, table - from);
    this.end = end;
    return table;
  }

  u8(at: number, value: number): void {
    this.slab[this.base + at] = value;
  }

  u16(at: number, value: number): void {
    const slab = this.slab;
    const i = this.base + at;
    slab[i] = value;
    slab[i + 1] = value >>> 8;
  }

  u32(at: number, value: number): void {
    const slab = this.slab;
    const i = this.base + at;
    slab[i] = value;
    slab[i + 1] = value >>> 8;
    slab[i + 2] = value >>> 16;
    slab[i + 3] = value >>> 24;
  }

  /** Appends a vector of `count` offsets (for tables), pointed to from `from`; returns the position of the first. */
  offsets(from: number, count: number): number {
    this.reserve(4 + 4 * count);
    this.u32(from, this.end - from);
    this.u32(this.end, count);
    const first = this.end + 4;
    this.end = first + 4 * count;
    return first;
  }

  /** Appends a string pointed to from `from`: length, UTF-8 bytes, NUL. */
  string(from: number, text: string): void {
    // Three bytes per UTF-16 unit bound its UTF-8 length; one more for the NUL (already zero).
    this.reserve(4 + 3 * text.length + 1);
    const slab = this.slab;
    const start = this.base + this.end + 4;
    let at = start;
    // Header-sized ASCII text is copied faster by hand than through a native call.
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f) {
        at = start + slab.write(text, start, 'utf8');
        break;
      }
      slab[at++] = code;
    }
    this.vector(from, at - start, at - start + 1);
  }

  /** Appends a string given as raw bytes (not necessarily UTF-8) pointed to from `from`: length, bytes, NUL. */
  stringBytes(from: number, data: Uint8Array): void {
    this.reserve(4 + data.length + 1);
    // The NUL after the bytes is already zero, as in string().
    this.slab.set(data, this.base + this.end + 4);
    this.vector(from, data.length, data.length + 1);
  }

  /** Appends a byte vector pointed to from `from`. */
  byteVector(from: number, data: Uint8Array): void {
    this.reserve(4 + data.length);
    this.slab.set(data, this.base + this.end + 4);
    this.vector(from, data.length, data.length);
  }

  /** The finished frame: a view of the slab that nothing writes to again. */
  finish(): Buffer {
    const length = this.end - HEADER_BYTES;
    const frame = this.slab.subarray(this.base, this.base + this.end);
    // The region is used up either way: bytes left from a refused frame must not show in the next.
    this.base += align4(this.end);
    this.end = 0;
    if (length > MAX_PAYLOAD_BYTES) throw new FrameTooLargeError(length);
    frame.writeUIntBE(length, 1, 3);
    return frame;
  }

  /** Records a vector of `length` elements that starts after its length word at the end; `bytes` = its size. */
  private vector(from: number, length: number, bytes: number): void {
    this.u32(from, this.end - from);
    this.u32(this.end, length);
    this.end = align4(this.end + 4 + bytes);
  }

  /**
   * Makes room for `count` more bytes (plus padding to the next 4-byte boundary). A frame that
   * outgrows the slab moves, with what it has so far, to a fresh one big enough.
   */
  private reserve(count: number): void {
    const needed = this.end + count + 3;
    if (this.base + needed <= this.slab.length) return;
    const slab = Buffer.alloc(Math.max(SLAB_BYTES, 2 * needed));
    this.slab.copy(slab, 0, this.base, this.base + this.end);
    this.slab = slab;
    this.base = 0;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
