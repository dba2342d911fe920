// The adapters' side of RequestFacts.body when the gateway hands them a whole body at once (Kong's
// plugin server, APISIX's ext-plugin): the same bound the Lua adapters apply while they read, so
// every adapter gives the engine the same facts; and what the request's framing lets them ask for.
// (Response bodies: metered/capture.ts.)
import { REQUEST_BODY_LIMIT, type HeaderValues } from './types.js';

/** A request body read whole, as RequestFacts members: at most REQUEST_BODY_LIMIT bytes, the rest cut and flagged. */
export function requestBodyFacts(body: Uint8Array): { readonly body: string; readonly bodyTruncated?: true } {
  const kept = body.byteLength > REQUEST_BODY_LIMIT ? body.subarray(0, REQUEST_BODY_LIMIT) : body;
  const text = Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).toString('utf8');
  return kept === body ? { body: text } : { body: text, bodyTruncated: true };
}

/** A body the adapter could not read: the engine treats it as unreadable (estimates fall back). */
export const UNREAD_BODY = { bodyTruncated: true } as const;

/**
 * What the request's framing says of its body, for adapters that can only ask the gateway for all
 * of it (a read larger than the bound fails the call): `sized` (Content-Length), `chunked`
 * (Transfer-Encoding: size unknown until read), or `undeclared` (neither: no body in HTTP/1.x; an
 * HTTP/2 or HTTP/3 request may still carry one).
 */
export type BodyFraming = { readonly kind: 'sized'; readonly bytes: number } | { readonly kind: 'chunked' } | { readonly kind: 'undeclared' };

export function bodyFraming(headers: Readonly<Record<string, HeaderValues | undefined>>): BodyFraming {
  const length = first(headers['content-length']);
  if (length !== undefined && /^\d{1,15}$/.test(length.trim())) return { kind: 'sized', bytes: Number(length.trim()) };
  if (headers['transfer-encoding'] !== undefined || length !== undefined) return { kind: 'chunked' };
  return { kind: 'undeclared' };
}

/** Whether a body so framed can be asked for whole within REQUEST_BODY_LIMIT. */
export function fitsRequestBodyLimit(framing: BodyFraming): framing is { readonly kind: 'sized'; readonly bytes: number } {
  return framing.kind === 'sized' && framing.bytes <= REQUEST_BODY_LIMIT;
}

function first(value: HeaderValues | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}
