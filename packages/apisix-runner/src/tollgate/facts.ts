// HTTPReqCall.Req → RequestFacts. APISIX already lower-cases header names and sends one entry per
// value; a value-less arg (`?flag`) becomes `true`. The consumer comes from APISIX's own
// `consumer_name` variable (set by its auth plugin), never from a client-supplied header.
// Headers and query are grouped only when the engine reads them (payments, header identity,
// templates, query rewrites): most policies need a request's host and nothing else of them.
import type { HeaderValues, RequestFacts } from '@tollgate/engine';
import type { ReceivedReqCall, TextEntry } from '../protocol/messages.js';

export interface CallVariables {
  readonly consumerName?: string;
  readonly scheme?: string;
  /** $request_id: links the response call to this request's follow-up. */
  readonly requestId?: string;
  /** $upstream_uri: set ('' otherwise) when a plugin before the runner rewrote the upstream URI. */
  readonly upstreamUri?: string;
}

/** The authenticated consumer's credential id, which APISIX's auth plugins set (or clear) after auth. */
const CREDENTIAL_HEADER = 'x-credential-identifier';
const REQUEST_ID_HEADER = 'x-request-id';

/** The request body members, on routes that read it (see handler.ts readBody). */
export type BodyFacts = Pick<RequestFacts, 'body' | 'bodyTruncated'>;

/** `route`: the policy route the conf pinned, else the engine matches one from method, host and path. */
export function toFacts(req: ReceivedReqCall, vars: CallVariables, route?: string, body?: BodyFacts): RequestFacts {
  return new ReceivedFacts(req, vars, route, body);
}

class ReceivedFacts implements RequestFacts {
  readonly method: string;
  readonly path: string;
  readonly host: string | undefined;
  readonly scheme: string | undefined;
  readonly clientIp: string;
  readonly consumer: { readonly username: string } | undefined;
  readonly credentialId: string | undefined;
  readonly requestId: string | undefined;
  readonly route: string | undefined;
  readonly body: string | undefined;
  readonly bodyTruncated: boolean | undefined;
  private groupedHeaders: Record<string, HeaderValues> | undefined;
  private groupedQuery: Record<string, HeaderValues | true> | undefined;

  constructor(
    private readonly req: ReceivedReqCall,
    vars: CallVariables,
    route: string | undefined,
    body: BodyFacts | undefined,
  ) {
    const consumer = vars.consumerName === '' ? undefined : vars.consumerName;
    const credentialId = consumer === undefined ? undefined : req.header(CREDENTIAL_HEADER);
    this.method = req.method ?? 'UNKNOWN';
    this.path = req.path;
    this.host = req.header('host');
    this.scheme = vars.scheme;
    this.clientIp = formatIp(req.srcIp);
    this.consumer = consumer === undefined ? undefined : { username: consumer };
    this.credentialId = credentialId === '' ? undefined : credentialId;
    this.requestId = req.header(REQUEST_ID_HEADER);
    this.route = route;
    this.body = body?.body;
    this.bodyTruncated = body?.bodyTruncated;
  }

  get headers(): Readonly<Record<string, HeaderValues>> {
    return (this.groupedHeaders ??= group(this.req.headers));
  }

  get query(): Readonly<Record<string, HeaderValues | true>> {
    return (this.groupedQuery ??= group<true>(this.req.args, true));
  }
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

/** $binary_remote_addr bytes → the text nginx puts in $remote_addr (RFC 5952 for IPv6). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0] ?? 0}.${bytes[1] ?? 0}.${bytes[2] ?? 0}.${bytes[3] ?? 0}`;
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
