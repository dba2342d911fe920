// Reads the fields of a verified FlatBuffer straight from its bytes. The flatc-generated readers
// allocate an accessor object per table and read every field through a ByteBuffer; that was most
// of the cost of decoding a request. A FlatReader only ever sees buffers verifyRoot accepted, so
// every offset, vtable, vector and string it follows is known to be in bounds.
import type { Decoded } from './codec-support.js';
import { verifyRoot, type TableShape } from './verify.js';

/** Verifies `payload` against `shape`, then reads it from its root table; never throws on hostile bytes. */
export function readVerified<T>(payload: Uint8Array, shape: TableShape, what: string, read: (reader: FlatReader, root: number) => T): Decoded<T> {
  const problem = verifyRoot(payload, shape);
  if (problem !== undefined) return { ok: false, error: `invalid ${what}: ${problem}` };
  const reader = new FlatReader(Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  return { ok: true, value: read(reader, reader.root()) };
}

export class FlatReader {
  constructor(private readonly bytes: Buffer) {}

  /** Position of the root table. */
  root(): number {
    return this.u32At(0);
  }

  /** Position of field `index` (schema declaration order) of the table at `table`, or 0 when absent. */
  field(table: number, index: number): number {
    const vtable = table - this.i32At(table);
    const entry = 4 + 2 * index;
    if (entry >= this.u16At(vtable)) return 0;
    const offset = this.u16At(vtable + entry);
    return offset === 0 ? 0 : table + offset;
  }

  u8(table: number, index: number): number {
    const at = this.field(table, index);
    return at === 0 ? 0 : (this.bytes[at] ?? 0);
  }

  u16(table: number, index: number): number {
    const at = this.field(table, index);
    return at === 0 ? 0 : this.u16At(at);
  }

  u32(table: number, index: number): number {
    const at = this.field(table, index);
    return at === 0 ? 0 : this.u32At(at);
  }

  /** A string field as UTF-8 text, undefined when absent; malformed bytes become U+FFFD. */
  string(table: number, index: number): string | undefined {
    const vector = this.vector(table, index);
    return vector === 0 ? undefined : this.bytes.toString('utf8', this.textStart(vector), vector + 4 + this.u32At(vector));
  }

  /** Whether string() of this field would return `text`; for ASCII text, without decoding the field. */
  stringEquals(table: number, index: number, text: string): boolean {
    const vector = this.vector(table, index);
    if (vector === 0) return false;
    const start = this.textStart(vector);
    const end = vector + 4 + this.u32At(vector);
    // While the text is ASCII, a byte that differs from its character (or a missing byte) settles
    // it: any byte outside ASCII decodes to a character outside ASCII.
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f) return this.string(table, index) === text;
      if (start + i >= end || this.bytes[start + i] !== code) return false;
    }
    return end - start === text.length;
  }

  /** A [ubyte] field decoded as UTF-8 byte for byte (a leading byte order mark stays); undefined when absent. */
  utf8(table: number, index: number): string | undefined {
    const vector = this.vector(table, index);
    return vector === 0 ? undefined : this.bytes.toString('utf8', vector + 4, vector + 4 + this.u32At(vector));
  }

  /**
   * A [ubyte] field as a view of the frame, undefined when absent. Like the lazily read fields of a
   * call, it relies on frames living in buffers nothing writes to again (each socket read is a new one).
   */
  byteVector(table: number, index: number): Uint8Array | undefined {
    const vector = this.vector(table, index);
    if (vector === 0) return undefined;
    // A plain Uint8Array view: a Buffer subarray costs a FastBuffer construction.
    return new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + vector + 4, this.u32At(vector));
  }

  /** Position of a vector (or string) field's length word, or 0 when absent. */
  vector(table: number, index: number): number {
    const at = this.field(table, index);
    return at === 0 ? 0 : at + this.u32At(at);
  }

  /** Number of elements of the vector at `vector` (0 for an absent one). */
  length(vector: number): number {
    return vector === 0 ? 0 : this.u32At(vector);
  }

  /** Position of table `element` of a vector of tables. */
  element(vector: number, element: number): number {
    const slot = vector + 4 + 4 * element;
    return slot + this.u32At(slot);
  }

  /**
   * Where a string's text starts: past a leading byte order mark, which TextDecoder (what the
   * generated readers use) drops.
   */
  private textStart(vector: number): number {
    const start = vector + 4;
    const b = this.bytes;
    const hasBom = this.u32At(vector) >= 3 && b[start] === 0xef && b[start + 1] === 0xbb && b[start + 2] === 0xbf;
    return hasBom ? start + 3 : start;
  }

  private u16At(at: number): number {
    const b = this.bytes;
    return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
  }

  private i32At(at: number): number {
    const b = this.bytes;
    return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24);
  }

  private u32At(at: number): number {
    return this.i32At(at) >>> 0;
  }
}
