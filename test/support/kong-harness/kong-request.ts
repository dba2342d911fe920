// One request as Kong holds it while plugins run: the client's request, what key-auth (or another
// auth plugin of higher priority) established, the upstream request the PDK setters change, the
// response headers plugins set, the delayed exit, and kong.ctx.shared.

export interface KongConsumer {
  readonly id: string;
  readonly username?: string;
  readonly custom_id?: string;
}

export interface KongCredential {
  readonly id: string;
  readonly consumer: { readonly id: string };
}

export interface ClientRequest {
  readonly method: string;
  /** The raw path as sent, possibly percent-encoded, without the query string. */
  readonly path: string;
  /** The raw query string without `?`. */
  readonly query?: string;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly clientIp?: string;
  readonly requestId?: string;
  /** Default http. */
  readonly scheme?: string;
  /** Set as key-auth does: kong.client.authenticate() plus the X-Consumer-* request headers. */
  readonly consumer?: KongConsumer;
  readonly credential?: KongCredential;
  /** The request body; the client frames it (Content-Length) through `headers`. */
  readonly body?: string;
  /** Default 1.1. */
  readonly httpVersion?: number;
}

/** Kong's nginx_http_client_body_buffer_size (8k): a larger body is written to a temp file. */
export const CLIENT_BODY_BUFFER_SIZE = 8192;

export interface KongRoute {
  readonly id: string;
  readonly name?: string;
}

export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, readonly string[]>>;
}

export interface KongExit {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, readonly string[]>>;
}

export type HeaderMap = Map<string, string[]>;

export class KongRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly clientIp: string;
  readonly requestId: string;
  readonly scheme: string;
  readonly consumer: KongConsumer | undefined;
  readonly credential: KongCredential | undefined;
  readonly body: Buffer;
  readonly httpVersion: number;
  /** The request headers: the client's, then whatever plugins set (ngx.req.set_header). */
  readonly headers: HeaderMap = new Map();
  readonly responseHeaders: HeaderMap = new Map();
  readonly ctxShared = new Map<string, unknown>();
  upstreamPath: string | undefined;
  /** Set by kong.response.set_status in the response phase. */
  status: number | undefined;
  rawQuery: string;
  exit: KongExit | undefined;

  constructor(
    request: ClientRequest,
    readonly route: KongRoute,
  ) {
    this.method = request.method;
    this.rawPath = request.path;
    this.rawQuery = request.query ?? '';
    this.clientIp = request.clientIp ?? '127.0.0.1';
    this.requestId = request.requestId ?? 'req-0';
    this.scheme = request.scheme ?? 'http';
    this.consumer = request.consumer;
    this.credential = request.credential;
    this.body = Buffer.from(request.body ?? '');
    this.httpVersion = request.httpVersion ?? 1.1;
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      this.headers.set(name.toLowerCase(), typeof value === 'string' ? [value] : [...value]);
    }
    if (request.consumer) this.#authenticate(request.consumer, request.credential);
  }

  get requestLine(): string {
    return `${this.method} ${this.rawPath}${this.rawQuery === '' ? '' : `?${this.rawQuery}`} HTTP/1.1`;
  }

  upstream(): UpstreamRequest {
    return {
      method: this.method,
      path: this.upstreamPath ?? this.rawPath,
      query: this.rawQuery,
      headers: Object.fromEntries(this.headers),
    };
  }

  // key-auth's set_consumer(): the headers it sets replace anything the client sent.
  #authenticate(consumer: KongConsumer, credential: KongCredential | undefined): void {
    const set = (name: string, value: string | undefined) => {
      if (value === undefined) this.headers.delete(name);
      else this.headers.set(name, [value]);
    };
    set('x-consumer-id', consumer.id);
    set('x-consumer-username', consumer.username);
    set('x-consumer-custom-id', consumer.custom_id);
    set('x-credential-identifier', credential?.id);
    // Without a credential the consumer is key-auth's anonymous one.
    set('x-anonymous-consumer', credential === undefined ? 'true' : undefined);
  }
}
