// The schema's tables for the hand-written code: verifier shapes (slot order = declaration order
// in proto/ext-plugin.fbs) and the index of each field the runner reads or writes by position.
import type { FieldShape, TableShape } from './verify.js';

const u8: FieldShape = { kind: 'scalar', size: 1 };
const u16: FieldShape = { kind: 'scalar', size: 2 };
const u32: FieldShape = { kind: 'scalar', size: 4 };
const str: FieldShape = { kind: 'string' };
const bytes: FieldShape = { kind: 'bytes' };

const TextEntry: TableShape = [str, str];
const textEntries: FieldShape = { kind: 'tables', table: TextEntry };
const empty: TableShape = [];
const Stop: TableShape = [u16, textEntries, bytes];
const Rewrite: TableShape = [str, textEntries, textEntries, textEntries, bytes];

export const Shapes = {
  TextEntry,
  ErrResp: [u8],
  PrepareConfReq: [textEntries, str],
  PrepareConfResp: [u32],
  HttpReqCallReq: [u32, bytes, u8, str, textEntries, textEntries, u32],
  HttpReqCallResp: [u32, 'union-type', { kind: 'union', members: { 1: Stop, 2: Rewrite } }],
  Stop,
  Rewrite,
  ExtraInfoReq: ['union-type', { kind: 'union', members: { 1: [str], 2: empty, 3: empty } }],
  ExtraInfoResp: [bytes],
  HttpRespCallReq: [u32, u16, textEntries, u32],
  HttpRespCallResp: [u32, u16, textEntries, bytes],
} as const satisfies Record<string, TableShape>;

/** Field indices (a union's type and value are two fields), matching the shapes above. */
export const Fields = {
  TextEntry: { name: 0, value: 1 },
  PrepareConfReq: { conf: 0, key: 1 },
  HttpReqCallReq: { id: 0, srcIp: 1, method: 2, path: 3, args: 4, headers: 5, confToken: 6 },
  HttpReqCallResp: { id: 0, actionType: 1, action: 2 },
  Stop: { status: 0, headers: 1, body: 2 },
  Rewrite: { path: 0, headers: 1, args: 2, respHeaders: 3, body: 4 },
  ExtraInfoResp: { result: 0 },
  HttpRespCallReq: { id: 0, status: 1, headers: 2, confToken: 3 },
  HttpRespCallResp: { id: 0, status: 1, headers: 2, body: 3 },
} as const;
