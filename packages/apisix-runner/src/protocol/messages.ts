// The protocol's messages as plain values, decoupled from the generated FlatBuffers classes.
// Absent and empty differ on this wire: `value: undefined` is "no value" (value-less arg, header
// deletion), `result: undefined` is an unknown variable, an empty array is the empty string.

export interface TextEntry {
  readonly name: string;
  readonly value?: string;
}

export interface PrepareConfRequest {
  readonly conf: readonly TextEntry[];
  readonly key: string;
}

/** A6.Method in enum order: the wire carries the index. */
export const METHODS = [
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'OPTIONS',
  'PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK', 'PATCH', 'TRACE',
] as const;
export type Method = (typeof METHODS)[number];

export interface HttpReqCallRequest {
  readonly id: number;
  readonly srcIp: Uint8Array;
  /** Undefined when the method byte is outside A6.Method. */
  readonly method: Method | undefined;
  readonly path: string;
  readonly args: readonly TextEntry[];
  readonly headers: readonly TextEntry[];
  readonly confToken: number;
}

/** HTTPReqCall.Req as the runner receives it (fields read from the frame on first use). */
export interface ReceivedReqCall extends HttpReqCallRequest {
  /** The first value of header `name` (lower-case, as APISIX sends names); value-less entries are skipped. */
  header(name: string): string | undefined;
}

export interface StopAction {
  readonly kind: 'stop';
  readonly status: number;
  readonly headers: readonly TextEntry[];
  readonly body?: Uint8Array;
}

export interface RewriteAction {
  readonly kind: 'rewrite';
  /** Decoded: APISIX escapes it into $upstream_uri. Bytes when they are not UTF-8. */
  readonly path?: string | Uint8Array;
  readonly headers: readonly TextEntry[];
  readonly args: readonly TextEntry[];
  readonly respHeaders: readonly TextEntry[];
  readonly body?: Uint8Array;
}

export type ReqCallAction = { readonly kind: 'none' } | StopAction | RewriteAction;

export interface HttpReqCallResponse {
  readonly id: number;
  readonly action: ReqCallAction;
}

export type ExtraInfoRequest =
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'req-body' }
  | { readonly kind: 'resp-body' };

export interface ExtraInfoResponse {
  readonly result?: Uint8Array;
}

export interface HttpRespCallRequest {
  readonly id: number;
  readonly status: number;
  readonly headers: readonly TextEntry[];
  readonly confToken: number;
}

export interface HttpRespCallResponse {
  readonly id: number;
  readonly status: number;
  readonly headers: readonly TextEntry[];
  readonly body?: Uint8Array;
}
