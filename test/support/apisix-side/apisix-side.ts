// Plays APISIX's side of the ext-plugin protocol against a real runner socket, following
// apisix/plugins/ext-plugin/init.lua: pooled connections, PrepareConf on a second connection while
// the call's connection is checked out, token caching and flushing, up to 3 attempts on "conf
// token not found", ExtraInfo answers, and 503 or pass-through (allow_degradation) on any other
// failure. Tests and benchmarks drive the runner process through it.
import { MAX_PAYLOAD_BYTES, RpcType, ERROR_MESSAGES } from '../../../packages/apisix-runner/src/protocol/rpc.js';
import {
  decodeErrorCode,
  decodeExtraInfoRequest,
  decodeHttpReqCallResponse,
  decodeHttpRespCallResponse,
  decodePrepareConfResponse,
  encodeExtraInfoResponse,
  encodeHttpReqCallRequest,
  encodeHttpRespCallRequest,
  encodePrepareConfRequest,
} from './apisix-codec.js';
import { FrameTooLargeError, type Frame } from '../../../packages/apisix-runner/src/protocol/frame.js';
import { METHODS, type ExtraInfoRequest, type Method } from '../../../packages/apisix-runner/src/protocol/messages.js';
import { FrameSocket } from './frame-socket.js';
import { ipBytes } from './ip-bytes.js';
import {
  applyResponseHeaders,
  copyUpstreamHeaders,
  applyStop,
  argEntries,
  headerEntries,
  type Headers,
  type UpstreamRequest,
  withNginxFraming,
} from './http-model.js';
import { afterPlugins, applyRewrite, beforePlugin, callRequest, lookupVar, upstreamRequest, type ProxyRewrite, type QueryAfterPathRewrite, type RequestState } from './request-state.js';
import { TokenCache } from './token-cache.js';

export type ExtPlugin = 'ext-plugin-pre-req' | 'ext-plugin-post-req' | 'ext-plugin-post-resp';

export interface ApisixRoute {
  readonly id: string;
  readonly plugin?: ExtPlugin;
  /** The plugin's `conf` array; omitted like an `{}` plugin config. */
  readonly conf?: readonly { readonly name: string; readonly value: string }[];
  readonly allowDegradation?: boolean;
  /** The route's modifiedIndex: a new version means a new PrepareConf. */
  readonly version?: string;
  /** proxy-rewrite on the route: before ext-plugin-post-req (priority 1008 > -3000), after -pre-req. */
  readonly proxyRewrite?: ProxyRewrite;
}

export interface ClientRequest {
  readonly method: string;
  /** Path and query as the client sent them, e.g. `/v1/forecast?city=Paris&debug`. */
  readonly uri: string;
  readonly headers?: readonly (readonly [string, string])[];
  readonly srcIp?: string;
  /** APISIX variables answered to ExtraInfo Var (`consumer_name`, `route_id`, …). */
  readonly vars?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

interface Common {
  readonly attempts: number;
  /** Every ExtraInfo request the runner made, in order. */
  readonly extraInfo: readonly ExtraInfoRequest[];
}

export type ApisixOutcome =
  | (Common & { readonly kind: 'stopped'; readonly status: number; readonly headers: Headers; readonly body?: Uint8Array })
  | (Common & { readonly kind: 'proxied'; readonly upstream: UpstreamRequest; readonly responseHeaders: Headers; readonly degraded?: string })
  | (Common & { readonly kind: 'failed'; readonly status: 503; readonly error: string });

/** What the upstream answered, as APISIX's ext-plugin-post-resp received it through lua-resty-http. */
export interface UpstreamAnswer {
  readonly status: number;
  /** Names as the upstream sent them; repeated headers as repeated pairs. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
}

/** What the client receives after ext-plugin-post-resp. */
export type ApisixResponse =
  | (Common & { readonly kind: 'answered'; readonly status: number; readonly headers: Headers; readonly body: Uint8Array })
  | (Common & { readonly kind: 'failed'; readonly status: 503; readonly error: string });

export interface ApisixSideOptions {
  readonly socketPath: string;
  readonly workerId?: number;
  readonly connectTimeoutMs?: number;
  readonly readTimeoutMs?: number;
  readonly queryAfterPathRewrite?: QueryAfterPathRewrite;
  readonly now?: () => number;
  /**
   * APISIX answers an ExtraInfo request only once this resolves: a worker busy with other
   * requests, or reading a slow client's body for ReqBody, keeps the runner waiting mid-call.
   */
  readonly beforeExtraInfoReply?: (request: ExtraInfoRequest) => Promise<void>;
}

const MAX_ATTEMPTS = 3;
const MAX_IDLE_CONNECTIONS = 32;
const KEEPALIVE_MS = 180_000;
const CONF_TOKEN_NOT_FOUND = 'conf token not found';

type Step<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };
type CallResult = { readonly kind: 'continue'; readonly state: RequestState; readonly responseHeaders: Headers } | { readonly kind: 'stopped'; readonly status: number; readonly headers: Headers; readonly body?: Uint8Array };

export class ApisixSide {
  readonly tokens: TokenCache;
  private readonly idle: { socket: FrameSocket; timer: NodeJS.Timeout }[] = [];
  private counter = 0;
  /** Error lines APISIX would write to its error log. */
  readonly errorLog: string[] = [];

  constructor(private readonly options: ApisixSideOptions) {
    this.tokens = new TokenCache(options.now);
  }

  /** Runs one client request through the route's ext-plugin, as APISIX's `communicate` does. */
  async request(route: ApisixRoute, client: ClientRequest): Promise<ApisixOutcome> {
    const extraInfo: ExtraInfoRequest[] = [];
    let error = '';
    let attempts = 0;
    while (attempts < MAX_ATTEMPTS) {
      attempts += 1;
      const result = await this.rpcCall(route, client, extraInfo);
      if (result.ok) {
        return result.value.kind === 'stopped'
          ? { kind: 'stopped', status: result.value.status, headers: result.value.headers, ...(result.value.body && { body: result.value.body }), attempts, extraInfo }
          : { kind: 'proxied', upstream: upstreamRequest(afterPlugins(route, result.value.state)), responseHeaders: result.value.responseHeaders, attempts, extraInfo };
      }
      error = result.error;
      if (!error.includes(CONF_TOKEN_NOT_FOUND)) break;
      this.tokens.flush();
    }
    this.errorLog.push(error);
    if (route.allowDegradation === true) {
      return { kind: 'proxied', upstream: upstreamRequest(afterPlugins(route, beforePlugin(route, client))), responseHeaders: new Map(), degraded: error, attempts, extraInfo };
    }
    return { kind: 'failed', status: 503, error, attempts, extraInfo };
  }

  /**
   * ext-plugin-post-resp (RPC_HTTP_RESP_CALL) after APISIX fetched the upstream itself: the same
   * token handling and retries as a request call, then Resp applied as init.lua does — a non-empty
   * header list is set on the response *instead of* the upstream's headers; an empty one makes
   * APISIX copy the upstream's minus its exclude list (Content-Type, Content-Encoding, Location, …
   * are lost). A body replaces the body, a non-zero status the status. nginx then adds its own
   * framing. A failure answers 503; with allow_degradation the upstream's status and body are
   * sent without any of its headers (APISIX copies them only inside the call).
   */
  async respond(route: ApisixRoute, client: ClientRequest, answer: UpstreamAnswer): Promise<ApisixResponse> {
    const postResp = { ...route, plugin: 'ext-plugin-post-resp' as const };
    const extraInfo: ExtraInfoRequest[] = [];
    let error = '';
    let attempts = 0;
    while (attempts < MAX_ATTEMPTS) {
      attempts += 1;
      const connected = await this.checkout();
      if (!connected.ok) {
        error = connected.error;
        break;
      }
      const result = await this.respCall(connected.value, postResp, client, answer, extraInfo);
      if (result.ok) {
        this.checkin(connected.value);
        return { ...result.value, attempts, extraInfo };
      }
      connected.value.destroy();
      error = result.error;
      if (!error.includes(CONF_TOKEN_NOT_FOUND)) break;
      this.tokens.flush();
    }
    this.errorLog.push(error);
    if (route.allowDegradation === true) return { kind: 'answered', status: answer.status, headers: withNginxFraming(new Map()), body: answer.body, attempts, extraInfo };
    return { kind: 'failed', status: 503, error, attempts, extraInfo };
  }

  /** Closes pooled connections (APISIX's keepalive pool). */
  close(): void {
    for (const { socket, timer } of this.idle.splice(0)) {
      clearTimeout(timer);
      socket.destroy();
    }
  }

  get idleConnections(): number {
    return this.idle.length;
  }

  private async rpcCall(route: ApisixRoute, client: ClientRequest, extraInfo: ExtraInfoRequest[]): Promise<Step<CallResult>> {
    const connected = await this.checkout();
    if (!connected.ok) return connected;
    const socket = connected.value;
    const result = await this.reqCall(socket, route, client, extraInfo);
    if (result.ok) this.checkin(socket);
    else socket.destroy();
    return result;
  }

  private async reqCall(socket: FrameSocket, route: ApisixRoute, client: ClientRequest, extraInfo: ExtraInfoRequest[]): Promise<Step<CallResult>> {
    const token = await this.token(route);
    if (!token.ok) return token;

    const state = callRequest(beforePlugin(route, client));
    const { path, args, headers, host } = state;
    const method = METHODS.includes(client.method as Method) ? (client.method as Method) : undefined;
    const sent = this.send(socket, RpcType.HttpReqCall, () =>
      encodeHttpReqCallRequest({
        id: this.nextId(),
        srcIp: ipBytes(client.srcIp ?? '127.0.0.1'),
        method,
        path,
        args: argEntries(args),
        headers: headerEntries(headers, host),
        confToken: token.value,
      }),
    );
    if (!sent.ok) return sent;

    const received = await this.receiveAnswering(socket, 'RPC_HTTP_REQ_CALL', client, state, extraInfo);
    if (!received.ok) return received;
    const frame = received.value;
    if (frame.type !== RpcType.HttpReqCall) return { ok: false, error: `failed to receive RPC_HTTP_REQ_CALL: unexpected type ${frame.type}` };
    const decoded = decodeHttpReqCallResponse(frame.payload);
    if (!decoded.ok) return { ok: false, error: `failed to decode RPC_HTTP_REQ_CALL: ${decoded.error}` };

    const { action } = decoded.value;
    if (action.kind === 'stop') return { ok: true, value: { kind: 'stopped', ...applyStop(action) } };
    const responseHeaders: Headers = new Map();
    if (action.kind === 'none') return { ok: true, value: { kind: 'continue', state, responseHeaders } };
    const rewritten = applyRewrite(state, action, responseHeaders, this.options.queryAfterPathRewrite ?? 'keep');
    return { ok: true, value: { kind: 'continue', state: rewritten, responseHeaders } };
  }

  private async respCall(socket: FrameSocket, route: ApisixRoute, client: ClientRequest, answer: UpstreamAnswer, extraInfo: ExtraInfoRequest[]) {
    type Answered = { readonly kind: 'answered'; readonly status: number; readonly headers: Headers; readonly body: Uint8Array };
    const token = await this.token(route);
    if (!token.ok) return token;
    const headers = answer.headers.map(([name, value]) => ({ name, value }));
    const sent = this.send(socket, RpcType.HttpRespCall, () => encodeHttpRespCallRequest({ id: this.nextId(), status: answer.status, headers, confToken: token.value }));
    if (!sent.ok) return sent;
    const received = await this.receiveAnswering(socket, 'RPC_HTTP_RESP_CALL', client, beforePlugin(route, client), extraInfo, answer);
    if (!received.ok) return received;
    const frame = received.value;
    if (frame.type !== RpcType.HttpRespCall) return { ok: false as const, error: `failed to receive RPC_HTTP_RESP_CALL: unexpected type ${frame.type}` };
    const decoded = decodeHttpRespCallResponse(frame.payload);
    if (!decoded.ok) return { ok: false as const, error: `failed to decode RPC_HTTP_RESP_CALL: ${decoded.error}` };
    const resp = decoded.value;
    const set: Headers = new Map();
    if (resp.headers.length > 0) applyResponseHeaders(set, resp.headers);
    else copyUpstreamHeaders(set, answer.headers);
    const value: Answered = {
      kind: 'answered',
      status: resp.status === 0 ? answer.status : resp.status,
      headers: withNginxFraming(set),
      body: resp.body !== undefined && resp.body.length > 0 ? resp.body : answer.body,
    };
    return { ok: true as const, value };
  }

  /** The call's answer, after answering every ExtraInfo request the runner makes first. `upstream`: the answer a response call carries. */
  private async receiveAnswering(socket: FrameSocket, name: string, client: ClientRequest, state: RequestState, extraInfo: ExtraInfoRequest[], upstream?: UpstreamAnswer): Promise<Step<Frame>> {
    for (;;) {
      const received = await this.receive(socket, name);
      if (!received.ok || received.value.type !== RpcType.ExtraInfo) return received;
      const answer = this.answerExtraInfo(received.value.payload, client, state, extraInfo, upstream);
      if (!answer.ok) return { ok: false, error: `failed to handle RPC_EXTRA_INFO: ${answer.error}` };
      const asked = extraInfo.at(-1);
      if (this.options.beforeExtraInfoReply !== undefined && asked !== undefined) await this.options.beforeExtraInfoReply(asked);
      if (!socket.send(answer.value)) return { ok: false, error: 'failed to reply RPC_EXTRA_INFO: closed' };
    }
  }

  /** LRU → shared dict → PrepareConf on another connection under the global lock. */
  private async token(route: ApisixRoute): Promise<Step<number>> {
    const plugin = route.plugin ?? 'ext-plugin-pre-req';
    const lruId = `route#${route.id}#${plugin}`;
    const version = route.version ?? '1';
    const cached = this.tokens.lruGet(lruId, version);
    if (cached !== undefined) return { ok: true, value: cached };
    const key = `${lruId}#${version}`;
    const result = await this.tokens.withLock(async () => {
      const shared = this.tokens.sharedGet(key);
      if (shared !== undefined) return { ok: true, value: shared } as const;
      const prepared = await this.prepareConf(route.conf, key);
      if (prepared.ok) this.tokens.sharedSet(key, prepared.value);
      return prepared;
    });
    if (result.ok) this.tokens.lruSet(lruId, version, result.value);
    return result;
  }

  private async prepareConf(conf: ApisixRoute['conf'], key: string): Promise<Step<number>> {
    const connected = await this.checkout();
    if (!connected.ok) return connected;
    const socket = connected.value;
    const result = await (async (): Promise<Step<number>> => {
      const sent = this.send(socket, RpcType.PrepareConf, () => encodePrepareConfRequest({ conf: conf ?? [], key }));
      if (!sent.ok) return sent;
      const received = await this.receive(socket, 'RPC_PREPARE_CONF');
      if (!received.ok) return received;
      if (received.value.type !== RpcType.PrepareConf) return { ok: false, error: `failed to receive RPC_PREPARE_CONF: unexpected type ${received.value.type}` };
      const token = decodePrepareConfResponse(received.value.payload);
      return token.ok ? token : { ok: false, error: `failed to decode RPC_PREPARE_CONF: ${token.error}` };
    })();
    if (result.ok) this.checkin(socket);
    else socket.destroy();
    return result;
  }

  // handle_extra_info: ReqBody is core.request.get_body() (all of it, nil without one); RespBody
  // reads the whole upstream body of ext-plugin-post-resp's own request (ctx.runner_ext_response),
  // and there is none in a request call.
  private answerExtraInfo(payload: Uint8Array, client: ClientRequest, state: RequestState, log: ExtraInfoRequest[], upstream: UpstreamAnswer | undefined): Step<Buffer> {
    const decoded = decodeExtraInfoRequest(payload);
    if (!decoded.ok) return decoded;
    const request = decoded.value;
    if (request.kind === 'unsupported') return { ok: false, error: `unsupported info type: ${request.type}` };
    log.push(request);
    if (request.kind === 'var') {
      const value = lookupVar(request.name, client, state);
      return { ok: true, value: encodeExtraInfoResponse(value === undefined ? {} : { result: Buffer.from(value) }) };
    }
    if (request.kind === 'req-body') return { ok: true, value: encodeExtraInfoResponse(client.body === undefined ? {} : { result: client.body }) };
    if (upstream !== undefined) return { ok: true, value: encodeExtraInfoResponse({ result: upstream.body }) };
    this.errorLog.push('failed to read response body: not exits');
    return { ok: true, value: encodeExtraInfoResponse({}) };
  }

  private send(socket: FrameSocket, type: number, build: () => Buffer): Step<null> {
    const name = type === RpcType.PrepareConf ? 'RPC_PREPARE_CONF' : type === RpcType.HttpRespCall ? 'RPC_HTTP_RESP_CALL' : 'RPC_HTTP_REQ_CALL';
    try {
      return socket.send(build()) ? { ok: true, value: null } : { ok: false, error: `failed to send ${name}: closed` };
    } catch (error) {
      if (error instanceof FrameTooLargeError) return { ok: false, error: `failed to send ${name}: the max length of data is ${MAX_PAYLOAD_BYTES} but got ${error.length}` };
      throw error;
    }
  }

  private async receive(socket: FrameSocket, name: string): Promise<Step<Frame>> {
    const received = await socket.receive(this.options.readTimeoutMs ?? 60_000);
    if (!received.ok) return { ok: false, error: `failed to receive ${name}: ${received.error}` };
    if (received.frame.type !== RpcType.Error) return { ok: true, value: received.frame };
    const code = decodeErrorCode(received.frame.payload);
    const text = code.ok ? (ERROR_MESSAGES[code.value] ?? `unknown err ${code.value}`) : code.error;
    return { ok: false, error: `failed to receive ${name}: ${text}` };
  }

  private async checkout(): Promise<Step<FrameSocket>> {
    for (let pooled = this.idle.pop(); pooled !== undefined; pooled = this.idle.pop()) {
      clearTimeout(pooled.timer);
      if (pooled.socket.usable) {
        pooled.socket.ref();
        return { ok: true, value: pooled.socket };
      }
      pooled.socket.destroy();
    }
    const connected = await FrameSocket.connect(this.options.socketPath, this.options.connectTimeoutMs ?? 1000);
    return connected.ok
      ? { ok: true, value: connected.socket }
      : { ok: false, error: `failed to connect to the unix socket unix:${this.options.socketPath}: ${connected.error}` };
  }

  /** setkeepalive(180 s, 32): keep the connection for reuse, closing it when the pool is full. */
  private checkin(socket: FrameSocket): void {
    if (this.idle.length >= MAX_IDLE_CONNECTIONS) {
      socket.destroy();
      return;
    }
    socket.unref();
    const entry = { socket, timer: setTimeout(() => {
      this.evict(entry);
    }, KEEPALIVE_MS).unref() };
    this.idle.push(entry);
  }

  private evict(entry: { socket: FrameSocket; timer: NodeJS.Timeout }): void {
    const at = this.idle.indexOf(entry);
    if (at !== -1) this.idle.splice(at, 1);
    entry.socket.destroy();
  }

  /** (worker id << 22) + a counter that wraps at 2^22, as APISIX's generate_id. */
  private nextId(): number {
    const id = (this.options.workerId ?? 0) * 0x40_00_00 + this.counter;
    this.counter = (this.counter + 1) % 0x40_00_00;
    return id;
  }
}
