// What a value looks like after a trip through Lua and Kong's MessagePack encoder (lua-MessagePack
// with Kong's patches in mp_rpc.lua): nil vanishes from tables, an empty table is an empty array,
// a hole-free sequence is an array and anything else a map. The PDK simulation builds ordinary JS
// values; this turns them into exactly what Kong would put on the wire.

/** Marks a value Kong sends as a map even when empty (the multimap fix-up in mp_rpc.lua). */
export class LuaMap {
  constructor(readonly entries: Readonly<Record<string, unknown>>) {}
}

export function toLuaWire(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (value instanceof LuaMap) return mapOf(value.entries);
  if (value instanceof Uint8Array || typeof value !== 'object') return value;
  if (Array.isArray(value)) return sequenceOf(value);
  const map = mapOf(value as Record<string, unknown>);
  return Object.keys(map).length === 0 ? [] : map;
}

function mapOf(entries: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(entries)) {
    const wire = toLuaWire(item);
    if (wire !== undefined) out[key] = wire;
  }
  return out;
}

// A Lua array stops at its first nil; what follows would be a map with integer keys, which no PDK
// result in this harness produces.
function sequenceOf(items: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const item of items) {
    const wire = toLuaWire(item);
    if (wire === undefined) break;
    out.push(wire);
  }
  return out;
}
