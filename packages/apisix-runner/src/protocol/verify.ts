// A bounds checker for incoming FlatBuffers. The npm runtime reads without any checks (an
// out-of-range read yields undefined → 0), so a corrupt buffer would decode into garbage or make
// a reader loop over a forged billion-entry vector. Every offset, vtable, string and vector of the
// tables this package reads is checked against the buffer first, in time linear in its size.

export type FieldShape =
  | { readonly kind: 'scalar'; readonly size: 1 | 2 | 4 }
  | { readonly kind: 'string' }
  | { readonly kind: 'bytes' }
  | { readonly kind: 'tables'; readonly table: TableShape }
  | { readonly kind: 'union'; readonly members: Readonly<Record<number, TableShape>> };

/** Fields by slot; a union takes two slots (its type byte, then the offset), as in the schema. */
export type TableShape = readonly (FieldShape | 'union-type')[];

const MAX_DEPTH = 8;

class Bounds {
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.length;
  }
  has(offset: number, size: number): boolean {
    return Number.isInteger(offset) && offset >= 0 && offset + size <= this.bytes.length;
  }
  u8(offset: number): number {
    return this.view.getUint8(offset);
  }
  u16(offset: number): number {
    return this.view.getUint16(offset, true);
  }
  i32(offset: number): number {
    return this.view.getInt32(offset, true);
  }
  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }
}

/** Returns the first problem found, or undefined when `bytes` is a well-formed root `shape`. */
export function verifyRoot(bytes: Uint8Array, shape: TableShape): string | undefined {
  const b = new Bounds(bytes);
  if (!b.has(0, 4)) return 'buffer shorter than a root offset';
  return verifyTable(b, b.u32(0), shape, 0);
}

function verifyTable(b: Bounds, pos: number, shape: TableShape, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return 'tables nested too deeply';
  if (!b.has(pos, 4)) return `table at ${pos} out of bounds`;
  const vtable = pos - b.i32(pos);
  if (!b.has(vtable, 4)) return `vtable of table at ${pos} out of bounds`;
  const vtableSize = b.u16(vtable);
  const tableSize = b.u16(vtable + 2);
  if (vtableSize < 4 || vtableSize % 2 !== 0 || !b.has(vtable, vtableSize)) return `bad vtable size at ${vtable}`;
  if (tableSize < 4 || !b.has(pos, tableSize)) return `bad table size at ${pos}`;
  const fieldAt = (slot: number): number => {
    const entry = 4 + 2 * slot;
    return entry + 2 <= vtableSize ? b.u16(vtable + entry) : 0;
  };
  for (let slot = 0; slot < shape.length; slot++) {
    const field = shape[slot];
    const rel = fieldAt(slot);
    if (field === undefined || field === 'union-type' || rel === 0) continue;
    const at = pos + rel;
    const size = field.kind === 'scalar' ? field.size : 4;
    if (rel + size > tableSize || !b.has(at, size)) return `field ${slot} of table at ${pos} out of bounds`;
    if (field.kind === 'scalar') continue;
    const target = at + b.u32(at);
    const problem =
      field.kind === 'union'
        ? verifyUnion(b, target, field.members, fieldAt(slot - 1) === 0 ? 0 : b.u8(pos + fieldAt(slot - 1)), depth)
        : verifyVector(b, target, field, depth);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function verifyUnion(b: Bounds, target: number, members: Readonly<Record<number, TableShape>>, type: number, depth: number): string | undefined {
  if (type === 0) return undefined;
  const member = members[type];
  if (member === undefined) return `unknown union member ${type}`;
  return verifyTable(b, target, member, depth + 1);
}

function verifyVector(b: Bounds, at: number, field: FieldShape, depth: number): string | undefined {
  if (!b.has(at, 4)) return `vector at ${at} out of bounds`;
  const count = b.u32(at);
  const elementSize = field.kind === 'tables' ? 4 : 1;
  // Strings carry a NUL terminator after their bytes.
  const extra = field.kind === 'string' ? 1 : 0;
  if (!b.has(at + 4, count * elementSize + extra)) return `vector at ${at} overruns the buffer`;
  if (field.kind !== 'tables') return undefined;
  for (let i = 0; i < count; i++) {
    const element = at + 4 + 4 * i;
    const problem = verifyTable(b, element + b.u32(element), field.table, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
