// The schema's tables as verifier shapes (slot order = declaration order in proto/ext-plugin.fbs).
import type { FieldShape, TableShape } from './verify.js';

const u8: FieldShape = { kind: 'scalar', size: 1 };
const u16: FieldShape = { kind: 'scalar', size: 2 };
const u32: FieldShape = { kind: 'scalar', size: 4 };
const str: FieldShape = { kind: 'string' };
const bytes: FieldShape = { kind: 'bytes' };

const TextEntry: TableShape = [str, str];
const textEntries: FieldShape = { kind: 'tables', table: TextEntry };
const empty: TableShape = [];

export const Shapes = {
  ErrResp: [u8],
  PrepareConfReq: [textEntries, str],
  PrepareConfResp: [u32],
  HttpReqCallReq: [u32, bytes, u8, str, textEntries, textEntries, u32],
  HttpReqCallResp: [
    u32,
    'union-type',
    {
      kind: 'union',
      members: {
        1: [u16, textEntries, bytes],
        2: [str, textEntries, textEntries, textEntries, bytes],
      },
    },
  ],
  ExtraInfoReq: ['union-type', { kind: 'union', members: { 1: [str], 2: empty, 3: empty } }],
  ExtraInfoResp: [bytes],
  HttpRespCallReq: [u32, u16, textEntries, u32],
  HttpRespCallResp: [u32, u16, textEntries, bytes],
} as const satisfies Record<string, TableShape>;
