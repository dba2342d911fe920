// HTTPReqCall.Req as the runner receives it: scalars read up front, everything else from the
// verified frame on first use. Decoding a string costs a native call, and a request carries a
// dozen headers while a decision reads a few of them (often none: an IP-keyed policy needs the
// host and nothing else), so header() finds one value by comparing names in the frame.
import type { FlatReader } from './flat-reader.js';
import { METHODS, type Method, type ReceivedReqCall, type TextEntry } from './messages.js';
import { Fields } from './shapes.js';

const { id, srcIp, method, path, args, headers, confToken } = Fields.HttpReqCallReq;

export class ReqCallView implements ReceivedReqCall {
  readonly id: number;
  readonly method: Method | undefined;
  readonly confToken: number;
  // Decoded on first use. Plain private fields rather than #private ones: code that reads the
  // getters through a copy of the object (test matchers do) would throw on a #private field.
  private decodedPath: string | undefined;
  private decodedSrcIp: Uint8Array | undefined;
  private decodedArgs: readonly TextEntry[] | undefined;
  private decodedHeaders: readonly TextEntry[] | undefined;

  constructor(
    private readonly reader: FlatReader,
    private readonly table: number,
  ) {
    this.id = reader.u32(table, id);
    this.method = METHODS[reader.u8(table, method)];
    this.confToken = reader.u32(table, confToken);
  }

  get path(): string {
    return (this.decodedPath ??= this.reader.string(this.table, path) ?? '');
  }

  get srcIp(): Uint8Array {
    return (this.decodedSrcIp ??= this.reader.byteVector(this.table, srcIp) ?? new Uint8Array(0));
  }

  get args(): readonly TextEntry[] {
    return (this.decodedArgs ??= readTextEntries(this.reader, this.reader.vector(this.table, args)));
  }

  get headers(): readonly TextEntry[] {
    return (this.decodedHeaders ??= readTextEntries(this.reader, this.reader.vector(this.table, headers)));
  }

  header(name: string): string | undefined {
    if (this.decodedHeaders !== undefined) return this.decodedHeaders.find((entry) => entry.name === name && entry.value !== undefined)?.value;
    const { reader } = this;
    const vector = reader.vector(this.table, headers);
    for (let i = 0, count = reader.length(vector); i < count; i++) {
      const entry = reader.element(vector, i);
      if (!reader.stringEquals(entry, Fields.TextEntry.name, name)) continue;
      const value = reader.string(entry, Fields.TextEntry.value);
      if (value !== undefined) return value;
    }
    return undefined;
  }
}

/** A [TextEntry] vector as plain entries; an entry without value stays without one. */
export function readTextEntries(reader: FlatReader, vector: number): TextEntry[] {
  const entries: TextEntry[] = [];
  for (let i = 0, count = reader.length(vector); i < count; i++) {
    const entry = reader.element(vector, i);
    const name = reader.string(entry, Fields.TextEntry.name) ?? '';
    const value = reader.string(entry, Fields.TextEntry.value);
    entries.push(value === undefined ? { name } : { name, value });
  }
  return entries;
}
