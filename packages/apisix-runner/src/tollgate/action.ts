// Decision → HTTPReqCall action. Deny or Respond (the usage endpoint's 200) → Stop with the
// engine's status, headers and body. Allow →
// Rewrite carrying the upstream changes (removals before sets, as the engine specifies) and the
// client response headers, or no action when there is nothing to change.
import type { Decision, UpstreamRewrite } from '@tollgate/engine';
import type { HttpReqCallRequest, ReqCallAction, TextEntry } from '../protocol/messages.js';

const encoder = new TextEncoder();

/** `upstreamUri`: APISIX's $upstream_uri when the policy rewrites the query ('' until a plugin sets it). */
export function toAction(decision: Decision, req: HttpReqCallRequest, upstreamUri?: string): ReqCallAction {
  if (decision.kind !== 'allow') {
    return { kind: 'stop', status: decision.status, headers: entries(decision.headers), body: encoder.encode(decision.body) };
  }
  const { upstream } = decision;
  const headers = changes(upstream.removeHeaders, upstream.setHeaders);
  const args = rewriteArgs(upstream, req);
  const path = rewritePath(upstream, req, upstreamUri, args.length > 0);
  const respHeaders = entries(decision.responseHeaders);
  if (path === undefined && headers.length === 0 && args.length === 0 && respHeaders.length === 0) return { kind: 'none' };
  return { kind: 'rewrite', path, headers, args, respHeaders };
}

/**
 * Rewritten args reach the upstream in $upstream_uri only, which APISIX rebuilds from them only
 * when the Rewrite carries a path too; without that, a $upstream_uri a plugin already set (proxy-
 * rewrite, with the original query) goes out verbatim. So with args and a set $upstream_uri, its
 * path (the Req's path) goes back. APISIX escapes a Rewrite path (uri_safe_encode), so both paths
 * go out with what it escapes decoded (see unescapeForApisix).
 */
function rewritePath(upstream: UpstreamRewrite, req: HttpReqCallRequest, upstreamUri: string | undefined, argsChanged: boolean): string | Uint8Array | undefined {
  if (upstream.path !== undefined) return unescapeForApisix(upstream.path);
  if (argsChanged && upstreamUri !== undefined && upstreamUri !== '') return unescapeForApisix(req.path);
  return undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes uri_safe_encode (ngx_escape_uri, NGX_ESCAPE_URI) escapes: controls, space, # % ?, DEL and non-ASCII. */
const escapedByApisix = (byte: number) => byte <= 0x20 || byte >= 0x7f || byte === 0x23 || byte === 0x25 || byte === 0x3f;

/**
 * Decodes exactly the %XX that uri_safe_encode produces, so that APISIX's escaping gives the path
 * back unchanged: $upstream_uri's path (proxy-rewrite escaped it the same way) round-trips exactly.
 * Any other %XX (%2F, %3D, …) stays encoded: APISIX cannot send it as such (it escapes the `%`),
 * and decoding it would turn an encoded `/` into a path separator. The text when the bytes are
 * UTF-8, else the bytes.
 */
function unescapeForApisix(path: string): string | Uint8Array {
  if (!path.includes('%')) return path;
  const text = Buffer.from(path, 'utf8');
  const bytes = Buffer.alloc(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === 0x25 ? text.toString('latin1', i + 1, i + 3) : '';
    const byte = /^[0-9a-fA-F]{2}$/.test(hex) ? parseInt(hex, 16) : -1;
    if (byte !== -1 && escapedByApisix(byte)) {
      bytes[length++] = byte;
      i += 2;
    } else bytes[length++] = text[i] ?? 0;
  }
  const decoded = bytes.subarray(0, length);
  try {
    return strictUtf8.decode(decoded);
  } catch {
    return decoded;
  }
}

/**
 * APISIX before 3.16.0 drops the query string when a Rewrite changes only the path
 * (apache/apisix#9997), so a path rewrite re-sends the current args; later versions keep them either
 * way. A value-less `?flag` cannot be re-sent (no value means delete) and is left alone.
 */
function rewriteArgs(upstream: UpstreamRewrite, req: HttpReqCallRequest): TextEntry[] {
  const query = changes(upstream.removeQuery, upstream.setQuery);
  if (upstream.path === undefined || query.length > 0) return query;
  return req.args.filter((arg) => arg.value !== undefined);
}

/**
 * Removals (value-less entries) first, then the sets. Every entry has the same shape (a removal's
 * value is undefined): the writer that reads them next, on every call, then sees one shape.
 */
function changes(removals: readonly string[], sets: Readonly<Record<string, string>>): TextEntry[] {
  const out: TextEntry[] = [];
  for (const name of removals) out.push({ name, value: undefined });
  for (const name of Object.keys(sets)) out.push({ name, value: sets[name] });
  return out;
}

function entries(record: Readonly<Record<string, string>>): TextEntry[] {
  return changes([], record);
}
