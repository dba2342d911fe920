// The runner's half of the codec: decode what APISIX sends, encode what the runner answers.
// Every call goes through here, so both directions skip the generic flatbuffers runtime: requests
// are verified, then read field by field (flat-reader.ts); the call answers are written front to
// back (flat-writer.ts). The rare frames (errors, PrepareConf answers, the cached ExtraInfo
// requests) use the flatc-generated builders. The tests check both against the generated readers.
import { Resp as ErrResp } from '../generated/a6/err/resp.js';
import { Info } from '../generated/a6/extra-info/info.js';
import { Req as ExtraInfoReq } from '../generated/a6/extra-info/req.js';
import { ReqBody } from '../generated/a6/extra-info/req-body.js';
import { RespBody } from '../generated/a6/extra-info/resp-body.js';
import { Var } from '../generated/a6/extra-info/var.js';
import { Action } from '../generated/a6/httpreq-call/action.js';
import { Resp as PrepareConfResp } from '../generated/a6/prepare-conf/resp.js';
import { buildFrame, type Decoded } from './codec-support.js';
import { readVerified } from './flat-reader.js';
import { fieldAt, fieldBit, FlatWriter } from './flat-writer.js';
import { readTextEntries, ReqCallView } from './req-call-view.js';
import {
  type ExtraInfoRequest,
  type HttpReqCallResponse,
  type HttpRespCallRequest,
  type HttpRespCallResponse,
  type PrepareConfRequest,
  type ReceivedReqCall,
  type TextEntry,
} from './messages.js';
import { RpcType, type ErrorCode } from './rpc.js';
import { Fields, Shapes } from './shapes.js';

export function decodePrepareConfRequest(payload: Uint8Array): Decoded<PrepareConfRequest> {
  const { conf, key } = Fields.PrepareConfReq;
  return readVerified(payload, Shapes.PrepareConfReq, 'PrepareConf.Req', (r, req) => ({
    conf: readTextEntries(r, r.vector(req, conf)),
    key: r.string(req, key) ?? '',
  }));
}

export function decodeHttpReqCallRequest(payload: Uint8Array): Decoded<ReceivedReqCall> {
  return readVerified(payload, Shapes.HttpReqCallReq, 'HTTPReqCall.Req', (r, req) => new ReqCallView(r, req));
}

export function decodeHttpRespCallRequest(payload: Uint8Array): Decoded<HttpRespCallRequest> {
  const { id, status, headers, confToken } = Fields.HttpRespCallReq;
  return readVerified(payload, Shapes.HttpRespCallReq, 'HTTPRespCall.Req', (r, req) => ({
    id: r.u32(req, id),
    status: r.u16(req, status),
    headers: readTextEntries(r, r.vector(req, headers)),
    confToken: r.u32(req, confToken),
  }));
}

/** The answer to a body request as bytes (a view of the frame): undefined for nil (no body, or APISIX could not read it). */
export function decodeExtraInfoBytes(payload: Uint8Array): Decoded<Uint8Array | undefined> {
  return readVerified(payload, Shapes.ExtraInfoResp, 'ExtraInfo.Resp', (r, resp) => r.byteVector(resp, Fields.ExtraInfoResp.result));
}

/** The answer to a variable request as text: undefined for nil (no result), '' for an empty one. */
export function decodeExtraInfoText(payload: Uint8Array): Decoded<string | undefined> {
  return readVerified(payload, Shapes.ExtraInfoResp, 'ExtraInfo.Resp', (r, resp) => r.utf8(resp, Fields.ExtraInfoResp.result));
}

export function encodeError(code: ErrorCode): Buffer {
  return buildFrame(RpcType.Error, (b) => ErrResp.createResp(b, code));
}

export function encodePrepareConfResponse(token: number): Buffer {
  return buildFrame(RpcType.PrepareConf, (b) => PrepareConfResp.createResp(b, token));
}

export function encodeExtraInfoRequest(req: ExtraInfoRequest): Buffer {
  return buildFrame(RpcType.ExtraInfo, (b) => {
    if (req.kind === 'var') return ExtraInfoReq.createReq(b, Info.Var, Var.createVar(b, b.createString(req.name)));
    if (req.kind === 'req-body') return ExtraInfoReq.createReq(b, Info.ReqBody, ReqBody.createReqBody(b));
    return ExtraInfoReq.createReq(b, Info.RespBody, RespBody.createRespBody(b));
  });
}

const writer = new FlatWriter();

export function encodeHttpReqCallResponse(resp: HttpReqCallResponse): Buffer {
  const { action } = resp;
  const fields = Fields.HttpReqCallResp;
  const hasAction = action.kind !== 'none';
  const root = writer.begin(RpcType.HttpReqCall);
  const table = writer.table(root, Shapes.HttpReqCallResp.length, fieldBit(fields.id, true) | fieldBit(fields.actionType, hasAction) | fieldBit(fields.action, hasAction));
  writer.u32(fieldAt(table, fields.id), resp.id);
  if (action.kind === 'stop') {
    writer.u8(fieldAt(table, fields.actionType), Action.Stop);
    const { status, headers, body } = Fields.Stop;
    const present = fieldBit(status, true) | fieldBit(headers, action.headers.length > 0) | fieldBit(body, action.body !== undefined);
    const stop = writer.table(fieldAt(table, fields.action), Shapes.Stop.length, present);
    writer.u16(fieldAt(stop, status), action.status);
    if (action.headers.length > 0) writeTextEntries(fieldAt(stop, headers), action.headers);
    if (action.body !== undefined) writer.byteVector(fieldAt(stop, body), action.body);
  } else if (action.kind === 'rewrite') {
    writer.u8(fieldAt(table, fields.actionType), Action.Rewrite);
    const { path, headers, args, respHeaders, body } = Fields.Rewrite;
    const present =
      fieldBit(path, action.path !== undefined) |
      fieldBit(headers, action.headers.length > 0) |
      fieldBit(args, action.args.length > 0) |
      fieldBit(respHeaders, action.respHeaders.length > 0) |
      fieldBit(body, action.body !== undefined);
    const rewrite = writer.table(fieldAt(table, fields.action), Shapes.Rewrite.length, present);
    if (typeof action.path === 'string') writer.string(fieldAt(rewrite, path), action.path);
    else if (action.path !== undefined) writer.stringBytes(fieldAt(rewrite, path), action.path);
    if (action.headers.length > 0) writeTextEntries(fieldAt(rewrite, headers), action.headers);
    if (action.args.length > 0) writeTextEntries(fieldAt(rewrite, args), action.args);
    if (action.respHeaders.length > 0) writeTextEntries(fieldAt(rewrite, respHeaders), action.respHeaders);
    if (action.body !== undefined) writer.byteVector(fieldAt(rewrite, body), action.body);
  }
  return writer.finish();
}

export function encodeHttpRespCallResponse(resp: HttpRespCallResponse): Buffer {
  const { id, status, headers, body } = Fields.HttpRespCallResp;
  const root = writer.begin(RpcType.HttpRespCall);
  const present = fieldBit(id, true) | fieldBit(status, true) | fieldBit(headers, resp.headers.length > 0) | fieldBit(body, resp.body !== undefined);
  const table = writer.table(root, Shapes.HttpRespCallResp.length, present);
  writer.u32(fieldAt(table, id), resp.id);
  writer.u16(fieldAt(table, status), resp.status);
  if (resp.headers.length > 0) writeTextEntries(fieldAt(table, headers), resp.headers);
  if (resp.body !== undefined) writer.byteVector(fieldAt(table, body), resp.body);
  return writer.finish();
}

/** A vector of TextEntry tables (written only when non-empty: an empty list is an absent field). */
function writeTextEntries(from: number, entries: readonly TextEntry[]): void {
  const { name, value } = Fields.TextEntry;
  const first = writer.offsets(from, entries.length);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as TextEntry;
    // No value field means "no value" (delete the header, a bare ?flag), unlike an empty one.
    const table = writer.table(first + 4 * i, Shapes.TextEntry.length, fieldBit(name, true) | fieldBit(value, entry.value !== undefined));
    writer.string(fieldAt(table, name), entry.name);
    if (entry.value !== undefined) writer.string(fieldAt(table, value), entry.value);
  }
}
