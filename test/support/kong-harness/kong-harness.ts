// Plays Kong's side of one external plugin: discovery, the plugin server process, N workers with
// their own instance caches, the access phase with Kong's delayed-response exit, the upstream
// call, the response phase when the plugin has one (buffered proxying: Kong.response() runs it
// after the upstream answered, before anything reaches the client), then the log phase after the
// response (Kong runs it in a timer, against a snapshot).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kongObservedHeaderKey } from '../../../packages/engine/src/index.js';
import { KongPdk, type ServiceResponse } from './kong-pdk.js';
import { KongRequest, type ClientRequest, type KongRoute, type UpstreamRequest } from './kong-request.js';
import { KongWorker, type EventResult, type EventTrace, type PluginRow } from './kong-worker.js';
import { PluginServerProcess, queryPluginInfo, type PluginInfo } from './plugin-server.js';
import { RpcClient } from './rpc-client.js';

export interface UpstreamResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** The upstream service; throwing stands for an unreachable one (Kong then answers 502 itself). */
export type Upstream = (request: UpstreamRequest) => UpstreamResponse | Promise<UpstreamResponse>;

export interface KongResponse {
  readonly status: number;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: string;
  /** exit: a plugin answered; upstream: proxied; error: Kong's own 500. */
  readonly source: 'exit' | 'upstream' | 'error';
  /** What reached the upstream, when the request was proxied. */
  readonly upstream?: UpstreamRequest;
  readonly access: EventTrace & { readonly result: EventResult };
  /** The response phase, when the plugin has one and the request was proxied. */
  readonly response?: EventTrace & { readonly result: EventResult };
  /** The log phase, which runs after the response (see KongHarness.settled). */
  readonly log: Promise<(EventTrace & { readonly result: EventResult }) | undefined>;
  /** kong.log.* lines and Kong's own error lines for this request. */
  readonly logs: readonly string[];
}

export interface KongHarnessOptions {
  /** A directory holding only the plugin module (Kong 3.9+: one plugin per plugin server). */
  readonly pluginsDir: string;
  readonly workers?: number;
  /** oss: HandleEvent/Step failures proxy on (Kong OSS); enterprise: they answer 500 (EE ≥ 3.14). */
  readonly failureModel?: 'oss' | 'enterprise';
  /** The plugin server's whole environment (nginx clears the workers' environment). */
  readonly env?: Readonly<Record<string, string>>;
  readonly upstream?: Upstream;
  /** Run kong-pdk's plain command, ts-node and TypeScript loaded (to measure what the preload saves). */
  readonly withTypeScript?: boolean;
}

export interface RequestOptions {
  readonly worker?: number;
  readonly route?: KongRoute;
  readonly upstream?: Upstream;
  /**
   * The post-function `tollgate compile` emits on a route metered by a cost header (lower-case
   * names): in header_filter it keeps each upstream value in kong.ctx.shared under
   * kongObservedHeaderKey and clears the header from the client's response.
   */
  readonly costHeaders?: readonly string[];
}

const UNEXPECTED = JSON.stringify({ message: 'An unexpected error occurred' });
const BAD_GATEWAY = JSON.stringify({ message: 'An invalid response was received from the upstream server' });

// The compiled post-function's header_filter: $upstream_http_<name> (the upstream's own value,
// buffered or not) into kong.ctx.shared, then clear_header.
function postFunctionHeaderFilter(request: KongRequest, name: string, upstreamHeaders: Readonly<Record<string, readonly string[]>>, clientHeaders: Record<string, readonly string[]>): void {
  const value = upstreamHeaders[name]?.[0];
  if (value !== undefined) request.ctxShared.set(kongObservedHeaderKey(name), value);
  request.responseHeaders.delete(name);
  Reflect.deleteProperty(clientHeaders, name);
}

export const echoUpstream: Upstream = (request) => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(request),
});

export class KongHarness {
  readonly #workers: KongWorker[];
  readonly #pending = new Set<Promise<unknown>>();
  #nextWorker = 0;
  #seq = 0;

  private constructor(
    readonly info: PluginInfo,
    readonly server: PluginServerProcess,
    private readonly rpc: RpcClient,
    private readonly options: KongHarnessOptions,
    private readonly prefix: string,
  ) {
    this.#workers = Array.from({ length: options.workers ?? 2 }, (_, index) => new KongWorker(index, rpc));
  }

  static async start(options: KongHarnessOptions): Promise<KongHarness> {
    const info = await queryPluginInfo(options.pluginsDir, undefined, options.withTypeScript);
    const prefix = mkdtempSync(join(tmpdir(), 'kong-prefix-'));
    const server = new PluginServerProcess({ pluginsDir: options.pluginsDir, name: info.Name, prefix, env: options.env ?? {}, withTypeScript: options.withTypeScript });
    await server.start();
    return new KongHarness(info, server, new RpcClient(server.socketPath), options, prefix);
  }

  /** A plugin row for this plugin; each call is a config change (a new __seq__). */
  plugin(config: Readonly<Record<string, unknown>>, scope: { id?: string; routeId?: string; serviceId?: string } = {}): PluginRow {
    this.#seq += 1;
    return { id: scope.id ?? 'a0c7e1a2-0000-4000-8000-000000000001', name: this.info.Name, config, seq: this.#seq, ...scope };
  }

  async request(client: ClientRequest, row: PluginRow, options: RequestOptions = {}): Promise<KongResponse> {
    const worker = this.#pick(options.worker);
    const request = new KongRequest(client, options.route ?? { id: row.routeId ?? 'route-0' });
    const pdk = new KongPdk(request, 'access');
    const access = await this.#event(worker, row, 'access', pdk);
    const upstream = options.upstream ?? this.options.upstream ?? echoUpstream;
    const buffered = this.info.Phases.includes('response');
    const answered = buffered ? await this.#answerBuffered(worker, row, request, access.result, upstream, pdk.logs) : await this.#answer(request, access.result, upstream);
    if (answered.source === 'upstream' && answered.upstreamHeaders !== undefined) {
      for (const name of options.costHeaders ?? []) postFunctionHeaderFilter(request, name, answered.upstreamHeaders, answered.headers);
    }
    const log = this.info.Phases.includes('log') ? this.#logPhase(worker, row, request, answered.status, pdk.logs) : Promise.resolve(undefined);
    return { ...answered, access, log, logs: pdk.logs };
  }

  // Kong.response(): the upstream answer is captured whole, its status and headers copied onto the
  // response (so they win over headers set in access), the response phase runs, then the body is
  // sent — or what kong.response.exit put in its place (headers merged onto the current ones).
  async #answerBuffered(worker: KongWorker, row: PluginRow, request: KongRequest, result: EventResult, upstream: Upstream, logs: string[]) {
    const proxied = await this.#answer(request, result, upstream);
    if (proxied.source !== 'upstream') return proxied;
    const service: ServiceResponse = { status: proxied.status, headers: new Map(Object.entries(proxied.upstreamHeaders ?? {}).map(([n, v]) => [n, [...v]])), body: proxied.body };
    for (const [name, values] of service.headers) request.responseHeaders.set(name, values);
    const pdk = new KongPdk(request, 'response', undefined, service);
    const response = await this.#event(worker, row, 'response', pdk);
    logs.push(...pdk.logs);
    if (response.result.kind === 'exit' && request.exit) {
      const { status, body, headers } = request.exit;
      return { status, body, headers, source: 'exit' as const, upstream: proxied.upstream, response };
    }
    // Kong.response() runs inside the access handler: a raised error (a PDK error, or StartInstance
    // failing in get_instance_id) ends the request with Kong's 500.
    if (response.result.kind === 'lua-error' || response.result.kind === 'start-failed' || (response.result.kind === 'rpc-error' && this.options.failureModel === 'enterprise')) {
      return { status: 500, body: UNEXPECTED, headers: { 'content-type': ['application/json; charset=utf-8'] }, source: 'error' as const, response };
    }
    const headers = Object.fromEntries(request.responseHeaders);
    return { status: request.status ?? service.status, body: service.body, headers, source: 'upstream' as const, upstream: proxied.upstream, upstreamHeaders: proxied.upstreamHeaders, response };
  }

  /** The reset_instances worker event, as a worker that met "no plugin instance" posts it to all. */
  resetInstances(): void {
    for (const worker of this.#workers) worker.resetInstances();
  }

  /** Resolves when every log phase started so far has finished. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async close(): Promise<void> {
    await this.settled();
    this.rpc.close();
    await this.server.stop();
    rmSync(this.prefix, { recursive: true, force: true });
  }

  async #answer(request: KongRequest, result: EventResult, upstream: Upstream): Promise<Omit<KongResponse, 'access' | 'log' | 'logs'> & { upstreamHeaders?: Readonly<Record<string, readonly string[]>> }> {
    if (result.kind === 'exit' && request.exit) {
      const { status, body, headers } = request.exit;
      return { status, body, headers, source: 'exit' };
    }
    if (result.kind === 'lua-error' || result.kind === 'start-failed' || (result.kind === 'rpc-error' && this.options.failureModel === 'enterprise')) {
      return { status: 500, body: UNEXPECTED, headers: { 'content-type': ['application/json; charset=utf-8'] }, source: 'error' };
    }
    const sent = request.upstream();
    let response: UpstreamResponse;
    try {
      response = await upstream(sent);
    } catch {
      // Connection refused / reset: Kong answers 502 itself (no response phase), then runs log.
      return { status: 502, body: BAD_GATEWAY, headers: { 'content-type': ['application/json; charset=utf-8'] }, source: 'error', upstream: sent };
    }
    const upstreamHeaders = new Map<string, string[]>(Object.entries(response.headers ?? {}).map(([name, value]) => [name.toLowerCase(), [value]]));
    const headers = new Map(upstreamHeaders);
    for (const [name, values] of request.responseHeaders) headers.set(name, values);
    return { status: response.status, body: response.body ?? '', headers: Object.fromEntries(headers), source: 'upstream', upstream: sent, upstreamHeaders: Object.fromEntries(upstreamHeaders) };
  }

  #logPhase(worker: KongWorker, row: PluginRow, request: KongRequest, status: number, logs: string[]) {
    const snapshot = { status, responseHeaders: new Map(request.responseHeaders) };
    const pdk = new KongPdk(request, 'log', snapshot);
    const done = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#event(worker, row, 'log', pdk))
      .finally(() => {
        logs.push(...pdk.logs);
        this.#pending.delete(done);
      });
    this.#pending.add(done);
    return done;
  }

  async #event(worker: KongWorker, row: PluginRow, phase: string, pdk: KongPdk) {
    const { result, trace } = await worker.handleEvent(row, phase, pdk, () => {
      this.resetInstances();
    });
    if (result.kind !== 'ret' && result.kind !== 'exit') pdk.logs.push(`[err] ${phase}: ${result.kind}: ${result.message}`);
    return { ...trace, result };
  }

  #pick(index: number | undefined): KongWorker {
    this.#nextWorker = (index ?? this.#nextWorker + 1) % this.#workers.length;
    const worker = this.#workers[this.#nextWorker];
    if (!worker) throw new Error('the harness needs at least one worker');
    return worker;
  }
}
