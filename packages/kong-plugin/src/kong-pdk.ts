// The few PDK calls the plugin makes, typed as they really arrive over the bridge (kong-pdk's
// bundled typings are wrong for several: get_headers is a multimap, get_consumer an object, exit
// takes a string body). Each call is one IPC round trip to Kong.

export type Multimap = Readonly<Record<string, readonly string[]>>;

export interface KongConsumerEntity {
  readonly id?: string;
  readonly username?: string;
  readonly custom_id?: string;
}

export interface KongCredentialEntity {
  readonly id?: string;
}

export interface KongPdk {
  readonly request: {
    getHeaders(): Promise<Multimap | undefined>;
    getScheme(): Promise<string | undefined>;
    /**
     * Kong 3.9's get_raw_body(max_allowed_file_size): a body nginx kept in memory, or one it wrote
     * to a temp file of at most that many bytes. Any other outcome is nil, which the bridge cannot
     * pack as binary: the call raises and the request fails, so call it only for a body whose
     * Content-Length is within the bound.
     */
    getRawBody(maxAllowedFileSize: number): Promise<Uint8Array | string | undefined>;
    /** 1.0, 1.1, 2.0 or 3.0. */
    getHttpVersion(): Promise<number | undefined>;
  };
  readonly nginx: {
    getVar(name: string): Promise<string | undefined>;
  };
  readonly client: {
    getConsumer(): Promise<KongConsumerEntity | undefined>;
    getCredential(): Promise<KongCredentialEntity | undefined>;
    getForwardedIp(): Promise<string | undefined>;
  };
  readonly response: {
    /** Never returns a value: Kong stops the handler; write `await kong.response.exit(…); return;`. */
    exit(status: number, body: string, headers: Readonly<Record<string, string>>): Promise<void>;
    setHeaders(headers: Readonly<Record<string, string>>): Promise<void>;
    clearHeader(name: string): Promise<void>;
    getStatus(): Promise<number | undefined>;
  };
  readonly service: {
    readonly response: {
      /** The upstream's status: response phase (buffered proxying) only. */
      getStatus(): Promise<number | undefined>;
      /** The upstream's header (the first value); in the response phase from the buffered answer. */
      getHeader(name: string): Promise<string | undefined>;
      /** The upstream's whole body: response phase (buffered proxying) only. */
      getRawBody(): Promise<Uint8Array | string | undefined>;
    };
    readonly request: {
      /** An empty array clears the header (ngx.req.set_header semantics). */
      setHeaders(headers: Readonly<Record<string, string | readonly string[]>>): Promise<void>;
      setPath(path: string): Promise<void>;
      setRawQuery(query: string): Promise<void>;
    };
  };
  readonly ctx: {
    readonly shared: {
      get(key: string): Promise<unknown>;
      set(key: string, value: string): Promise<void>;
    };
  };
  readonly log: {
    err(...message: string[]): Promise<void>;
  };
}
