// Decision → HTTPReqCall action. Deny → Stop with the engine's status, headers and body. Allow →
// Rewrite carrying the upstream changes (removals before sets, as the engine specifies) and the
// client response headers, or no action when there is nothing to change.
import type { Decision, UpstreamRewrite } from '@tollgate/engine';
import type { HttpReqCallRequest, ReqCallAction, TextEntry } from '../protocol/messages.js';

const encoder = new TextEncoder();

export function toAction(decision: Decision, req: HttpReqCallRequest): ReqCallAction {
  if (decision.kind === 'deny') {
    return { kind: 'stop', status: decision.status, headers: entries(decision.headers), body: encoder.encode(decision.body) };
  }
  const { upstream } = decision;
  const headers = changes(upstream.removeHeaders, upstream.setHeaders);
  const args = rewriteArgs(upstream, req);
  const respHeaders = entries(decision.responseHeaders);
  if (upstream.path === undefined && headers.length === 0 && args.length === 0 && respHeaders.length === 0) return { kind: 'none' };
  return { kind: 'rewrite', path: upstream.path, headers, args, respHeaders };
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
