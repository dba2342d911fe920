// The runner's half of the codec: decode what APISIX sends, encode what the runner answers.
import { Resp as ErrResp } from '../generated/a6/err/resp.js';
import { Info } from '../generated/a6/extra-info/info.js';
import { Req as ExtraInfoReq } from '../generated/a6/extra-info/req.js';
import { Resp as ExtraInfoResp } from '../generated/a6/extra-info/resp.js';
import { Var } from '../generated/a6/extra-info/var.js';
import { ReqBody } from '../generated/a6/extra-info/req-body.js';
import { RespBody } from '../generated/a6/extra-info/resp-body.js';
import { Action } from '../generated/a6/httpreq-call/action.js';
import { Req as HttpReqCallReq } from '../generated/a6/httpreq-call/req.js';
import { Resp as HttpReqCallResp } from '../generated/a6/httpreq-call/resp.js';
import { Rewrite } from '../generated/a6/httpreq-call/rewrite.js';
import { Stop } from '../generated/a6/httpreq-call/stop.js';
import { Req as HttpRespCallReq } from '../generated/a6/httpresp-call/req.js';
import { Resp as HttpRespCallResp } from '../generated/a6/httpresp-call/resp.js';
import { Req as PrepareConfReq } from '../generated/a6/prepare-conf/req.js';
import { Resp as PrepareConfResp } from '../generated/a6/prepare-conf/resp.js';
import { buildFrame, copyBytes, decodeRoot, readTextEntries, writeString, writeTextEntries, type Decoded } from './codec-support.js';
import {
  METHODS,
  type ExtraInfoRequest,
  type ExtraInfoResponse,
  type HttpReqCallRequest,
  type HttpReqCallResponse,
  type HttpRespCallRequest,
  type HttpRespCallResponse,
  type PrepareConfRequest,
} from './messages.js';
import { RpcType, type ErrorCode } from './rpc.js';
import { Shapes } from './shapes.js';

export function decodePrepareConfRequest(payload: Uint8Array): Decoded<PrepareConfRequest> {
  return decodeRoot(payload, Shapes.PrepareConfReq, 'PrepareConf.Req', (bb) => {
    const req = PrepareConfReq.getRootAsReq(bb);
    return { conf: readTextEntries(req.confLength(), (i) => req.conf(i)), key: req.key() ?? '' };
  });
}

export function decodeHttpReqCallRequest(payload: Uint8Array): Decoded<HttpReqCallRequest> {
  return decodeRoot(payload, Shapes.HttpReqCallReq, 'HTTPReqCall.Req', (bb) => {
    const req = HttpReqCallReq.getRootAsReq(bb);
    return {
      id: req.id(),
      srcIp: copyBytes(req.srcIpArray()) ?? new Uint8Array(0),
      method: METHODS[req.method()],
      path: req.path() ?? '',
      args: readTextEntries(req.argsLength(), (i) => req.args(i)),
      headers: readTextEntries(req.headersLength(), (i) => req.headers(i)),
      confToken: req.confToken(),
    };
  });
}

export function decodeHttpRespCallRequest(payload: Uint8Array): Decoded<HttpRespCallRequest> {
  return decodeRoot(payload, Shapes.HttpRespCallReq, 'HTTPRespCall.Req', (bb) => {
    const req = HttpRespCallReq.getRootAsReq(bb);
    return {
      id: req.id(),
      status: req.status(),
      headers: readTextEntries(req.headersLength(), (i) => req.headers(i)),
      confToken: req.confToken(),
    };
  });
}

export function decodeExtraInfoResponse(payload: Uint8Array): Decoded<ExtraInfoResponse> {
  return decodeRoot(payload, Shapes.ExtraInfoResp, 'ExtraInfo.Resp', (bb) => {
    const result = copyBytes(ExtraInfoResp.getRootAsResp(bb).resultArray());
    return result === undefined ? {} : { result };
  });
}

export function encodeError(code: ErrorCode): Buffer {
  return buildFrame(RpcType.Error, (b) => ErrResp.createResp(b, code));
}

export function encodePrepareConfResponse(token: number): Buffer {
  return buildFrame(RpcType.PrepareConf, (b) => PrepareConfResp.createResp(b, token));
}

export function encodeHttpReqCallResponse(resp: HttpReqCallResponse): Buffer {
  return buildFrame(RpcType.HttpReqCall, (b) => {
    const { action } = resp;
    if (action.kind === 'none') return HttpReqCallResp.createResp(b, resp.id, Action.NONE, 0);
    if (action.kind === 'stop') {
      const headers = writeTextEntries(b, action.headers, (v, o) => Stop.createHeadersVector(v, o));
      const body = action.body === undefined ? 0 : Stop.createBodyVector(b, action.body);
      return HttpReqCallResp.createResp(b, resp.id, Action.Stop, Stop.createStop(b, action.status, headers, body));
    }
    const path = action.path === undefined ? 0 : writeString(b, action.path);
    const headers = writeTextEntries(b, action.headers, (v, o) => Rewrite.createHeadersVector(v, o));
    const args = writeTextEntries(b, action.args, (v, o) => Rewrite.createArgsVector(v, o));
    const respHeaders = writeTextEntries(b, action.respHeaders, (v, o) => Rewrite.createRespHeadersVector(v, o));
    const body = action.body === undefined ? 0 : Rewrite.createBodyVector(b, action.body);
    return HttpReqCallResp.createResp(b, resp.id, Action.Rewrite, Rewrite.createRewrite(b, path, headers, args, respHeaders, body));
  });
}

export function encodeHttpRespCallResponse(resp: HttpRespCallResponse): Buffer {
  return buildFrame(RpcType.HttpRespCall, (b) => {
    const headers = writeTextEntries(b, resp.headers, (v, o) => HttpRespCallResp.createHeadersVector(v, o));
    const body = resp.body === undefined ? 0 : HttpRespCallResp.createBodyVector(b, resp.body);
    return HttpRespCallResp.createResp(b, resp.id, resp.status, headers, body);
  });
}

export function encodeExtraInfoRequest(req: ExtraInfoRequest): Buffer {
  return buildFrame(RpcType.ExtraInfo, (b) => {
    if (req.kind === 'var') {
      const name = writeString(b, req.name);
      return ExtraInfoReq.createReq(b, Info.Var, Var.createVar(b, name));
    }
    if (req.kind === 'req-body') return ExtraInfoReq.createReq(b, Info.ReqBody, ReqBody.createReqBody(b));
    return ExtraInfoReq.createReq(b, Info.RespBody, RespBody.createRespBody(b));
  });
}
