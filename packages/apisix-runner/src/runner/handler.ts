// What the connection layer asks of the code that actually decides: check a conf once when APISIX
// prepares it, then answer each call. The Tollgate handler and the benchmark's no-action floor
// both implement it.
import type { HttpRespCallRequest, HttpRespCallResponse, ReceivedReqCall, ReqCallAction, TextEntry } from '../protocol/messages.js';

export type Prepared<C> = { readonly ok: true; readonly conf: C } | { readonly ok: false; readonly problems: readonly string[] };

export interface CallContext {
  /**
   * Asks APISIX for variables (`consumer_name`, `route_id`, …) on this call's connection, all in
   * one pipelined round trip. An unknown or nil variable comes back undefined.
   */
  readonly variables: (names: readonly string[]) => Promise<(string | undefined)[]>;
  /**
   * Asks APISIX for the request body (in a request call: ExtraInfo ReqBody, which APISIX reads
   * whole, from its temp file if need be) or the upstream's response body (in a response call:
   * RespBody, which APISIX then holds whole before sending any of it). Undefined when there is none.
   */
  readonly body: (which: 'req-body' | 'resp-body') => Promise<Uint8Array | undefined>;
}

export interface CallHandler<C> {
  readonly prepare: (conf: readonly TextEntry[]) => Prepared<C>;
  readonly reqCall: (conf: C, req: ReceivedReqCall, context: CallContext) => ReqCallAction | Promise<ReqCallAction>;
  readonly respCall: (conf: C, req: HttpRespCallRequest, context: CallContext) => HttpRespCallResponse | Promise<HttpRespCallResponse>;
}

/** Answers every call with "no action": the framing floor the benchmark compares against. */
export const noActionHandler: CallHandler<null> = {
  prepare: () => ({ ok: true, conf: null }),
  reqCall: () => ({ kind: 'none' }),
  respCall: (_conf, req) => ({ id: req.id, status: 0, headers: [] }),
};
