// The upstream's response headers a client may see. APISIX sets a non-empty RPC_HTTP_RESP_CALL
// header list *instead of* the upstream's, and copies the upstream's itself only when the list is
// empty — then minus its own exclude list (Content-Type, Content-Encoding, Location, …). So the
// runner always answers with the upstream's end-to-end headers, and never with a hop-by-hop one:
// nginx frames the response itself, and an echoed Transfer-Encoding or Connection reaches the
// client twice (RFC 9110 §7.6.1).
import type { TextEntry } from '../protocol/messages.js';

const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** `headers` minus hop-by-hop ones (those named in Connection too) and minus `replaced` (lower-case names). */
export function endToEndHeaders(headers: readonly TextEntry[], replaced?: ReadonlySet<string>): TextEntry[] {
  let hopByHop = HOP_BY_HOP;
  for (const { name, value } of headers) {
    if (name.toLowerCase() !== 'connection' || value === undefined) continue;
    hopByHop = new Set([...hopByHop, ...value.split(',').map((token) => token.trim().toLowerCase())]);
  }
  return headers.filter(({ name }) => {
    const lower = name.toLowerCase();
    return !hopByHop.has(lower) && replaced?.has(lower) !== true;
  });
}
