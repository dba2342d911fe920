// APISIX's half of the codec: encode what APISIX sends, decode what a runner answers. Used by the
// APISIX-side client (tests, benchmarks, smoke checks), never by the runner itself.
import { Resp as ErrResp } from '../../../packages/apisix-runner/src/generated/a6/err/resp.js';
import { Method as MethodEnum } from '../../../packages/apisix-runner/src/generated/a6/method.js';
import { Info } from '../../../packages/apisix-runner/src/generated/a6/extra-info/info.js';
import { Req as ExtraInfoReq } from '../../../packages/apisix-runner/src/generated/a6/extra-info/req.js';
import { Resp as ExtraInfoResp } from '../../../packages/apisix-runner/src/generated/a6/extra-info/resp.js';
import { Var } from '../../../packages/apisix-runner/src/generated/a6/extra-info/var.js';
import { Action } from '../../../packages/apisix-runner/src/generated/a6/httpreq-call/action.js';
import { Req as HttpReqCallReq } from '../../../packages/apisix-runner/src/generated/a6/httpreq-call/req.js';
import { Resp as HttpReqCallResp } from '../../../packages/apisix-runner/src/generated/a6/httpreq-call/resp.js';
import { Rewrite } from '../../../packages/apisix-runner/src/generated/a6/httpreq-call/rewrite.js';
import { Stop } from '../../../packages/apisix-runner/src/generated/a6/httpreq-call/stop.js';
import { Req as HttpRespCallReq } from '../../../packages/apisix-runner/src/generated/a6/httpresp-call/req.js';
import { Resp as HttpRespCallResp } from '../../../packages/apisix-runner/src/generated/a6/httpresp-call/resp.js';
import { Req as PrepareConfReq } from '../../../packages/apisix-runner/src/generated/a6/prepare-conf/req.js';
import { Resp as PrepareConfResp } from '../../../packages/apisix-runner/src/generated/a6/prepare-conf/resp.js';
import { buildFrame, copyBytes, decodeRoot, readTextEntries, writeTextEntries, type Decoded } from '../../../packages/apisix-runner/src/protocol/codec-support.js';
import {
  type ExtraInfoRequest,
  type ExtraInfoResponse,
  type HttpReqCallRequest,
  type HttpReqCallResponse,
  type HttpRespCallRequest,
  type HttpRespCallResponse,
  type PrepareConfRequest,
} from '../../../packages/apisix-runner/src/protocol/messages.js';
import { RpcType } from '../../../packages/apisix-runner/src/protocol/rpc.js';
import { Shapes } from '../../../packages/apisix-runner/src/protocol/shapes.js';

export function encodePrepareConfRequest(req: PrepareConfRequest): Buffer {
  return buildFrame(RpcType.PrepareConf, (b) => {
    const key = b.createString(req.key);
    const conf = writeTextEntries(b, req.conf, (v, o) => PrepareConfReq.createConfVector(v, o));
    return PrepareConfReq.createReq(b, conf, key);
  });
}

export function encodeHttpReqCallRequest(req: HttpReqCallRequest): Buffer {
  return buildFrame(RpcType.HttpReqCall, (b) => {
    const srcIp = HttpReqCallReq.createSrcIpVector(b, req.srcIp);
    const path = b.createString(req.path);
    // APISIX always sends both vectors, empty ones included.
    const args = writeTextEntries(b, req.args, (v, o) => HttpReqCallReq.createArgsVector(v, o)) || HttpReqCallReq.createArgsVector(b, []);
    const headers = writeTextEntries(b, req.headers, (v, o) => HttpReqCallReq.createHeadersVector(v, o)) || HttpReqCallReq.createHeadersVector(b, []);
    // APISIX sends no method for one outside the enum, which reads back as the default (GET).
    const method = req.method === undefined ? MethodEnum.GET : MethodEnum[req.method];
    return HttpReqCallReq.createReq(b, req.id, srcIp, method, path, args, headers, req.confToken);
  });
}

export function encodeHttpRespCallRequest(req: HttpRespCallRequest): Buffer {
  return buildFrame(RpcType.HttpRespCall, (b) => {
    const headers = writeTextEntries(b, req.headers, (v, o) => HttpRespCallReq.createHeadersVector(v, o)) || HttpRespCallReq.createHeadersVector(b, []);
    return HttpRespCallReq.createReq(b, req.id, req.status, headers, req.confToken);
  });
}

export function encodeExtraInfoResponse(resp: ExtraInfoResponse): Buffer {
  return buildFrame(RpcType.ExtraInfo, (b) =>
    ExtraInfoResp.createResp(b, resp.result === undefined ? 0 : ExtraInfoResp.createResultVector(b, resp.result)),
  );
}

export function decodeErrorCode(payload: Uint8Array): Decoded<number> {
  return decodeRoot(payload, Shapes.ErrResp, 'Err.Resp', (bb) => ErrResp.getRootAsResp(bb).code());
}

export function decodePrepareConfResponse(payload: Uint8Array): Decoded<number> {
  return decodeRoot(payload, Shapes.PrepareConfResp, 'PrepareConf.Resp', (bb) => PrepareConfResp.getRootAsResp(bb).confToken());
}

export function decodeHttpReqCallResponse(payload: Uint8Array): Decoded<HttpReqCallResponse> {
  return decodeRoot(payload, Shapes.HttpReqCallResp, 'HTTPReqCall.Resp', (bb) => {
    const resp = HttpReqCallResp.getRootAsResp(bb);
    const id = resp.id();
    const type = resp.actionType();
    if (type === Action.Stop) {
      const stop = resp.action(new Stop()) as Stop;
      const body = copyBytes(stop.bodyArray());
      return {
        id,
        action: { kind: 'stop', status: stop.status(), headers: readTextEntries(stop.headersLength(), (i) => stop.headers(i)), ...(body && { body }) },
      };
    }
    if (type === Action.Rewrite) {
      const rewrite = resp.action(new Rewrite()) as Rewrite;
      const path = rewrite.path();
      const body = copyBytes(rewrite.bodyArray());
      return {
        id,
        action: {
          kind: 'rewrite',
          ...(path !== null && { path }),
          headers: readTextEntries(rewrite.headersLength(), (i) => rewrite.headers(i)),
          args: readTextEntries(rewrite.argsLength(), (i) => rewrite.args(i)),
          respHeaders: readTextEntries(rewrite.respHeadersLength(), (i) => rewrite.respHeaders(i)),
          ...(body && { body }),
        },
      };
    }
    return { id, action: { kind: 'none' } };
  });
}

export function decodeExtraInfoRequest(payload: Uint8Array): Decoded<ExtraInfoRequest | { readonly kind: 'unsupported'; readonly type: number }> {
  return decodeRoot(payload, Shapes.ExtraInfoReq, 'ExtraInfo.Req', (bb) => {
    const req = ExtraInfoReq.getRootAsReq(bb);
    const type = req.infoType();
    if (type === Info.Var) return { kind: 'var', name: (req.info(new Var()) as Var).name() ?? '' };
    if (type === Info.ReqBody) return { kind: 'req-body' };
    if (type === Info.RespBody) return { kind: 'resp-body' };
    return { kind: 'unsupported', type };
  });
}

export function decodeHttpRespCallResponse(payload: Uint8Array): Decoded<HttpRespCallResponse> {
  return decodeRoot(payload, Shapes.HttpRespCallResp, 'HTTPRespCall.Resp', (bb) => {
    const resp = HttpRespCallResp.getRootAsResp(bb);
    const body = copyBytes(resp.bodyArray());
    return {
      id: resp.id(),
      status: resp.status(),
      headers: readTextEntries(resp.headersLength(), (i) => resp.headers(i)),
      ...(body && { body }),
    };
  });
}
