// The sidecar protocol: one frame per message, 1 type byte + 24-bit big-endian payload length
// (the ext-plugin framing, whose reader is reused), the payload a JSON object. JSON because the
// adapters run LuaJIT with lua-cjson (C, already in every Kong and APISIX): encoding a decide
// request there costs a few µs, where pure-Lua MessagePack costs several times that.
//
// Adapter → sidecar                              Sidecar → adapter
//   REGISTER  {policy, route?, gateway}           REGISTERED {token, headers, consumer, credential, ip, scheme, body}
//   DECIDE    {t, m, p, q, h, ip?, c?, cr?, s?,    EXIT {s, h, b}  |  CONTINUE {rh?, uh?, ur?, q?, p?, f?, o?}
//              b?, bt?, d?}
//   COMPLETE  {t, f, st, h?, b?, ct?}              COMPLETED {}
// DECIDE's b is the request body (registration asked for it: `body`), bt that it was cut or unread,
// d the adapter's deadline (ms since the epoch, this host's clock): it gives the request the
// policy's failure outcome by then, so a policy failing closed is not decided after it (ERROR);
// CONTINUE's o is Allow.observe ({h?: header name, b?: true}); COMPLETE's h, b ({h, t, n}: the
// CapturedBody) and ct are what the adapter observed of the response.
//   any                                            UNKNOWN_TOKEN {}  (register again, then retry)
//                                                  ERROR {error}     (a request that is not valid)
//                                                  GOAWAY {}         (the connection's last frame)
// Every request is answered by one frame. A request may carry i, a number from 1 the adapter picks
// (per connection); its answer carries the same i. Answers are written as soon as they are ready,
// so an adapter that pipelines requests on one connection numbers them and matches by i; one that
// sends without i waits for each answer before the next request. ERROR names no request: the
// sidecar closes the connection after it. GOAWAY is written when the sidecar closes a connection
// (shutdown, idle, after an ERROR): it has read its last frame, and every frame it read is answered
// before the GOAWAY; a request still unanswered then was never read and may be sent again. A
// connection that ends without GOAWAY (the process died, the drain ran out of time) leaves its
// unanswered requests unknown: they may have been decided and charged, so they are not sent again.
import { REQUEST_BODY_LIMIT, RESPONSE_CAPTURE, type ResponseFacts } from '@tollgate/engine';

export const FrameType = {
  Register: 1,
  Decide: 2,
  Complete: 3,
  Registered: 0x81,
  Exit: 0x82,
  Continue: 0x83,
  Completed: 0x84,
  UnknownToken: 0x90,
  Error: 0x91,
  GoAway: 0x92,
} as const;

/**
 * Above any real request's facts: headers are bounded by nginx's buffers, a request body by
 * REQUEST_BODY_LIMIT (1 MiB), which lua-cjson may escape to 6 bytes a byte (\u00XX) at worst.
 * Below the 24-bit field's 16 MiB.
 */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/** A response header value an adapter reports; nginx's proxy buffers bound real ones far below this. */
const MAX_OBSERVED_HEADER = 65_536;

export type HeaderValues = string | readonly string[];

export interface RegisterRequest {
  /** The EngineConfig JSON text, exactly as the plugin entry carries it. */
  readonly policy: string;
  /** The policy route the entry is pinned to, if any. */
  readonly route: string | undefined;
  readonly gateway: 'kong' | 'apisix';
}

export interface DecideRequest {
  readonly token: number;
  readonly method: string;
  readonly path: string;
  /** The raw query, without `?`. */
  readonly rawQuery: string;
  /** Only the headers registration asked for, names lower-case. */
  readonly headers: Readonly<Record<string, HeaderValues>>;
  readonly clientIp: string;
  readonly consumer: { readonly id?: string; readonly username?: string; readonly customId?: string } | undefined;
  readonly credentialId: string | undefined;
  readonly scheme: string | undefined;
  readonly body: string | undefined;
  readonly bodyTruncated: boolean;
  /** When the adapter stops waiting for the answer (ms since the epoch), if it said. */
  readonly deadline: number | undefined;
}

export interface CompleteRequest {
  readonly token: number;
  readonly followUp: string;
  readonly status: number;
  /** What the adapter observed of the response (with `status`), when the decision asked for it. */
  readonly response: Omit<ResponseFacts, 'status'> | undefined;
}

/** A request and the number its answer must carry (`i`), if the adapter gave one. */
export type Request = { readonly id: number | undefined } & (
  | { readonly kind: 'register'; readonly request: RegisterRequest }
  | { readonly kind: 'decide'; readonly request: DecideRequest }
  | { readonly kind: 'complete'; readonly request: CompleteRequest }
);

/** The largest request number: a JSON integer every reader (lua-cjson's doubles included) keeps exactly. */
export const MAX_REQUEST_ID = 0x7f_ff_ff_ff;

export type Parsed = { readonly ok: true; readonly value: Request } | { readonly ok: false; readonly error: string };

/** Checks one frame completely before anything uses it: type, JSON, and every member's type and range. */
export function parseRequest(type: number, payload: Uint8Array): Parsed {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return { ok: false, error: 'payload is not JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: 'payload must be a JSON object' };
  const read = new Reader(body as Record<string, unknown>);
  const id = read.requestId('i');
  let value: Request;
  switch (type) {
    case FrameType.Register: {
      const gateway = read.string('gateway');
      if (gateway !== 'kong' && gateway !== 'apisix') read.fail('gateway must be "kong" or "apisix"');
      value = { id, kind: 'register', request: { policy: read.string('policy'), route: read.optionalString('route'), gateway: gateway === 'apisix' ? 'apisix' : 'kong' } };
      break;
    }
    case FrameType.Decide:
      value = {
        id,
        kind: 'decide',
        request: {
          token: read.token('t'),
          method: read.string('m'),
          path: read.string('p'),
          rawQuery: read.optionalString('q') ?? '',
          headers: read.headers('h'),
          clientIp: read.optionalString('ip') ?? '',
          consumer: read.consumer('c'),
          credentialId: read.optionalString('cr'),
          scheme: read.optionalString('s'),
          body: read.boundedString('b', REQUEST_BODY_LIMIT),
          bodyTruncated: read.flag('bt'),
          deadline: read.timestamp('d'),
        },
      };
      break;
    case FrameType.Complete:
      value = { id, kind: 'complete', request: { token: read.token('t'), followUp: read.string('f'), status: read.status('st'), response: read.observed() } };
      break;
    default:
      return { ok: false, error: `unknown frame type ${type}` };
  }
  return read.problem === undefined ? { ok: true, value } : { ok: false, error: read.problem };
}

/** Reads members, keeping the first problem; a failed read returns a harmless placeholder. */
class Reader {
  problem: string | undefined;

  constructor(private readonly body: Record<string, unknown>) {}

  fail(problem: string): void {
    this.problem ??= problem;
  }

  string(name: string): string {
    const value = this.body[name];
    if (typeof value === 'string') return value;
    this.fail(`${name} must be a string`);
    return '';
  }

  /** Absent, JSON null (cjson's null), or a string. */
  optionalString(name: string): string | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.fail(`${name} must be a string`);
    return undefined;
  }

  /** Absent, null, or a string of at most `max` UTF-16 units (a UTF-8 text of at most `max` bytes never has more). */
  boundedString(name: string, max: number): string | undefined {
    const value = this.optionalString(name);
    if (value !== undefined && value.length > max) this.fail(`${name} is longer than ${String(max)}`);
    return value;
  }

  /** Absent, null, false or true. */
  flag(name: string): boolean {
    const value = this.body[name];
    if (value === undefined || value === null || typeof value === 'boolean') return value === true;
    this.fail(`${name} must be a boolean`);
    return false;
  }

  /** COMPLETE's h, b and ct: nothing observed when all are absent. */
  observed(): CompleteRequest['response'] {
    const header = this.boundedString('h', MAX_OBSERVED_HEADER);
    const contentType = this.boundedString('ct', MAX_OBSERVED_HEADER);
    const body = this.capturedBody('b');
    if (header === undefined && contentType === undefined && body === undefined) return undefined;
    return { ...(header === undefined ? {} : { header }), ...(body === undefined ? {} : { body }), ...(contentType === undefined ? {} : { contentType }) };
  }

  /** {h, t, n} as RESPONSE_CAPTURE bounds it: a body of at most head + tail bytes is all in h. */
  capturedBody(name: string): NonNullable<ResponseFacts['body']> | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.fail(`${name} must be an object`);
      return undefined;
    }
    const { head, tail } = RESPONSE_CAPTURE;
    const captured = new Reader(value as Record<string, unknown>);
    const size = captured.body.n;
    const whole = typeof size === 'number' && size <= head + tail;
    const headText = captured.boundedString('h', whole ? head + tail : head) ?? '';
    const tailText = captured.boundedString('t', whole ? 0 : tail) ?? '';
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < headText.length + tailText.length) captured.fail('n must be the body size in bytes');
    if (captured.problem !== undefined) {
      this.fail(`${name}.${captured.problem}`);
      return undefined;
    }
    return { head: headText, tail: tailText, size: size as number };
  }

  token(name: string): number {
    const value = this.body[name];
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 0xff_ff_ff_ff) return value;
    this.fail(`${name} must be a conf token (an integer from 1)`);
    return 0;
  }

  /** Absent, null, or an integer from 1 to MAX_REQUEST_ID. */
  requestId(name: string): number | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_REQUEST_ID) return value;
    this.fail(`${name} must be a request number (an integer from 1 to ${String(MAX_REQUEST_ID)})`);
    return undefined;
  }

  /** Absent, null, or a time in ms since the epoch (a non-negative integer). */
  timestamp(name: string): number | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
    this.fail(`${name} must be a time in ms since the epoch`);
    return undefined;
  }

  status(name: string): number {
    const value = this.body[name];
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 999) return value;
    this.fail(`${name} must be an HTTP status`);
    return 0;
  }

  headers(name: string): Record<string, HeaderValues> {
    const value = this.body[name];
    // cjson encodes an empty Lua table as {} (or [] with encode_empty_table_as_object off).
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.fail(`${name} must be an object of header values`);
      return {};
    }
    const headers = value as Record<string, unknown>;
    for (const key of Object.keys(headers)) {
      const entry = headers[key];
      if (typeof entry === 'string') continue;
      if (Array.isArray(entry) && entry.every((item) => typeof item === 'string')) continue;
      this.fail(`${name}.${key} must be a string or a list of strings`);
      return {};
    }
    return headers as Record<string, HeaderValues>;
  }

  consumer(name: string): DecideRequest['consumer'] {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.fail(`${name} must be an object`);
      return undefined;
    }
    const entity = new Reader(value as Record<string, unknown>);
    const id = entity.optionalString('id');
    const username = entity.optionalString('username');
    const customId = entity.optionalString('custom_id');
    if (entity.problem !== undefined) this.fail(`${name}.${entity.problem}`);
    return { ...(id === undefined ? {} : { id }), ...(username === undefined ? {} : { username }), ...(customId === undefined ? {} : { customId }) };
  }
}
