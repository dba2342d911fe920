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

/** Returns the first problem found, or undefined when `bytes` is a well-formed root `shape`. */
export function verifyRoot(bytes: Uint8Array, shape: TableShape): string | undefined {
  if (!within(bytes, 0, 4)) return 'buffer shorter than a root offset';
  return verifyTable(bytes, u32(bytes, 0), shape, 0);
}

function verifyTable(b: Uint8Array, pos: number, shape: TableShape, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return 'tables nested too deeply';
  if (!within(b, pos, 4)) return `table at ${pos} out of bounds`;
  const vtable = pos - i32(b, pos);
  if (!within(b, vtable, 4)) return `vtable of table at ${pos} out of bounds`;
  const vtableSize = u16(b, vtable);
  const tableSize = u16(b, vtable + 2);
  if (vtableSize < 4 || vtableSize % 2 !== 0 || !within(b, vtable, vtableSize)) return `bad vtable size at ${vtable}`;
  if (tableSize < 4 || !within(b, pos, tableSize)) return `bad table size at ${pos}`;
  for (let slot = 0; slot < shape.length; slot++) {
    const field = shape[slot];
    const rel = fieldOffset(b, vtable, vtableSize, slot);
    if (field === undefined || field === 'union-type' || rel === 0) continue;
    const at = pos + rel;
    const size = field.kind === 'scalar' ? field.size : 4;
    if (rel + size > tableSize || !within(b, at, size)) return `field ${slot} of table at ${pos} out of bounds`;
    if (field.kind === 'scalar') continue;
    const target = at + u32(b, at);
    let problem: string | undefined;
    if (field.kind === 'union') {
      const typeAt = fieldOffset(b, vtable, vtableSize, slot - 1);
      problem = verifyUnion(b, target, field.members, typeAt === 0 ? 0 : (b[pos + typeAt] ?? 0), depth);
    } else {
      problem = verifyVector(b, target, field, depth);
    }
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** The offset of `slot` inside its table as the vtable records it; 0 = absent. */
function fieldOffset(b: Uint8Array, vtable: number, vtableSize: number, slot: number): number {
  const entry = 4 + 2 * slot;
  return entry + 2 <= vtableSize ? u16(b, vtable + entry) : 0;
}

function verifyUnion(b: Uint8Array, target: number, members: Readonly<Record<number, TableShape>>, type: number, depth: number): string | undefined {
  if (type === 0) return undefined;
  const member = members[type];
  if (member === undefined) return `unknown union member ${type}`;
  return verifyTable(b, target, member, depth + 1);
}

function verifyVector(b: Uint8Array, at: number, field: FieldShape, depth: number): string | undefined {
  if (!within(b, at, 4)) return `vector at ${at} out of bounds`;
  const count = u32(b, at);
  const elementSize = field.kind === 'tables' ? 4 : 1;
  // Strings carry a NUL terminator after their bytes.
  const extra = field.kind === 'string' ? 1 : 0;
  if (!within(b, at + 4, count * elementSize + extra)) return `vector at ${at} overruns the buffer`;
  if (field.kind !== 'tables') return undefined;
  for (let i = 0; i < count; i++) {
    const element = at + 4 + 4 * i;
    const problem = verifyTable(b, element + u32(b, element), field.table, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

// Little-endian reads; callers check `within` first.
function within(b: Uint8Array, offset: number, size: number): boolean {
  return offset >= 0 && offset + size <= b.length;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
}

function i32(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24);
}

function u32(b: Uint8Array, at: number): number {
  return i32(b, at) >>> 0;
}
