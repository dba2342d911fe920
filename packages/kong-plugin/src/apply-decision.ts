// A Decision back into PDK calls. Deny or Respond (the usage endpoint's 200): one
// kong.response.exit (no round trip: Kong stops the handler). Allow: the client response headers in one set_headers, the upstream header changes in
// one set_headers (an empty array clears a header), then the query and path only when changed.
import type { Allow, Answer, UpstreamRewrite } from '@tollgate/engine';
import type { KongPdk } from './kong-pdk.js';

export async function applyAnswer(kong: KongPdk, answer: Answer): Promise<void> {
  await kong.response.exit(answer.status, answer.body, answer.headers);
}

export async function applyAllow(kong: KongPdk, allow: Allow, rawQuery: string): Promise<void> {
  if (Object.keys(allow.responseHeaders).length > 0) await kong.response.setHeaders(allow.responseHeaders);
  const { upstream } = allow;
  const headers = upstreamHeaders(upstream);
  if (Object.keys(headers).length > 0) await kong.service.request.setHeaders(headers);
  if (upstream.removeQuery.length > 0 || Object.keys(upstream.setQuery).length > 0) {
    await kong.service.request.setRawQuery(rewriteQuery(rawQuery, upstream));
  }
  if (upstream.path !== undefined) await kong.service.request.setPath(upstream.path);
}

/** Removals first, then sets: a header both removed and set ends up set. */
export function upstreamHeaders(upstream: UpstreamRewrite): Record<string, string | readonly string[]> {
  const headers: Record<string, string | readonly string[]> = {};
  const setNames = new Set(Object.keys(upstream.setHeaders).map((name) => name.toLowerCase()));
  for (const name of upstream.removeHeaders) if (!setNames.has(name.toLowerCase())) headers[name.toLowerCase()] = [];
  for (const [name, value] of Object.entries(upstream.setHeaders)) headers[name] = value;
  return headers;
}

/** The client's raw query with removed names dropped and set names replaced, other bytes untouched. */
export function rewriteQuery(rawQuery: string, upstream: UpstreamRewrite): string {
  const replaced = new Set([...upstream.removeQuery, ...Object.keys(upstream.setQuery)]);
  const kept = rawQuery.split('&').filter((part) => part !== '' && !replaced.has(decodeName(part)));
  const set = Object.entries(upstream.setQuery).map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return [...kept, ...set].join('&');
}

function decodeName(part: string): string {
  const eq = part.indexOf('=');
  const name = (eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
