// HTTPReqCall.Req → RequestFacts. APISIX already lower-cases header names and sends one entry per
// value; a value-less arg (`?flag`) becomes `true`. The consumer comes from APISIX's own
// `consumer_name` variable (set by its auth plugin), never from a client-supplied header.
import type { HeaderValues, RequestFacts } from '@tollgate/engine';
import type { HttpReqCallRequest, TextEntry } from '../protocol/messages.js';

export interface CallVariables {
  readonly consumerName?: string;
  readonly scheme?: string;
  /** $request_id: links the response call to this request's follow-up. */
  readonly requestId?: string;
}

/** The authenticated consumer's credential id, which APISIX's auth plugins set (or clear) after auth. */
const CREDENTIAL_HEADER = 'x-credential-identifier';
const REQUEST_ID_HEADER = 'x-request-id';

export function toFacts(req: HttpReqCallRequest, vars: CallVariables): RequestFacts {
  const headers = group(req.headers);
  const query = group<true>(req.args, true);
  const host = firstString(headers.host);
  const requestId = firstString(headers[REQUEST_ID_HEADER]);
  const consumer = vars.consumerName === undefined || vars.consumerName === '' ? undefined : vars.consumerName;
  const credentialId = consumer === undefined ? undefined : firstString(headers[CREDENTIAL_HEADER]);
  return {
    method: req.method ?? 'UNKNOWN',
    path: req.path,
    headers,
    query,
    clientIp: formatIp(req.srcIp),
    ...(host !== undefined && { host }),
    ...(vars.scheme !== undefined && { scheme: vars.scheme }),
    ...(consumer !== undefined && { consumer: { username: consumer } }),
    ...(credentialId !== undefined && credentialId !== '' && { credentialId }),
    ...(requestId !== undefined && { requestId }),
  };
}

/** One pass, one object: repeated names collect into an array, a single value stays a string. */
function group<Flag = never>(entries: readonly TextEntry[], flag?: Flag): Record<string, HeaderValues | Flag> {
  const grouped: Record<string, string | string[] | Flag> = Object.create(null) as Record<string, string | string[] | Flag>;
  for (const { name, value } of entries) {
    const current = grouped[name];
    if (value === undefined) {
      if (flag !== undefined && current === undefined) grouped[name] = flag;
    } else if (typeof current === 'string') grouped[name] = [current, value];
    else if (Array.isArray(current)) current.push(value);
    // Absent, or only a value-less flag so far: a value replaces the flag.
    else grouped[name] = value;
  }
  return grouped;
}

function firstString(value: HeaderValues | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value[0];
}

/** $binary_remote_addr bytes → the text nginx puts in $remote_addr (RFC 5952 for IPv6). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) return '';
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  // The longest run of two or more zero groups collapses to "::" (the first such run on a tie).
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at === -1) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}
