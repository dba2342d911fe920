// What the sidecar does with each checked request: registration compiles the policy once through
// the shared engine runtime (the same stores, metrics and decision log as the other adapters) and
// tells the adapter which facts to gather; a decision translates the adapter's facts into
// RequestFacts and the Decision into one answer frame; a completion hands the upstream's status
// back to the engine. The facts each gateway's adapter sends mirror what that gateway's other
// adapter reads (the Kong plugin's planFacts; the APISIX runner's variables), so decisions are
// identical whichever adapter a gateway runs.
import { entryNeedsBody, templateVariables, type Decision, type Engine, type HeaderValues, type RequestFacts, type Runtime } from '@tollgate/engine';
import { ConfCache, type Logger } from '@tollgate/apisix-runner';
import { parseQuery, planFacts, rewriteQuery } from '@tollgate/kong-plugin';
import { FrameType, type CompleteRequest, type DecideRequest, type RegisterRequest } from '../protocol/wire.js';

export interface Answer {
  readonly type: number;
  readonly body: object;
}

interface Registered {
  readonly engine: Engine;
  readonly route: string | undefined;
  readonly gateway: RegisterRequest['gateway'];
  /** The policy's store.onFailure is closed: the adapter refuses what it waited for too long. */
  readonly failsClosed: boolean;
}

/** Settling x402 before the client sees the answer needs the response buffered: those policies keep the existing plugins. */
export const X402_NEEDS_BUFFERING =
  'policy/payment/x402: an x402 offer settles before the response is sent, which needs a buffered response: use the JavaScript plugin (Kong) or the ext-plugin runner (APISIX) for this policy (tollgate compile does)';

const PAYMENT_HEADERS = ['payment-signature', 'x-payment'];
/** Request ids of problem bodies and the decision log, as each gateway's other adapter reads them. */
const REQUEST_ID_HEADERS = { kong: ['kong-request-id', 'x-request-id'], apisix: ['x-request-id'] } as const;

const NOTHING = {};
const COMPLETED: Answer = { type: FrameType.Completed, body: NOTHING };
const UNKNOWN_TOKEN: Answer = { type: FrameType.UnknownToken, body: NOTHING };
const PAST_DEADLINE: Answer = { type: FrameType.Error, body: { error: "not decided: past the adapter's deadline, the policy failed closed" } };

export class SidecarHandler {
  readonly #confs: ConfCache<Registered>;

  constructor(
    private readonly runtime: Runtime,
    private readonly log: Logger,
    confTtlMs: number,
  ) {
    this.#confs = new ConfCache<Registered>(confTtlMs);
  }

  register(request: RegisterRequest): Answer {
    const compiled = this.runtime.engineFor(request.policy, request.gateway === 'apisix' ? 'apisix' : undefined);
    const problems = compiled.ok ? [] : compiled.errors.map((error) => `policy${error.startsWith('/') ? error : `: ${error}`}`);
    if (compiled.ok && compiled.engine.config.payment?.x402 !== undefined) problems.push(X402_NEEDS_BUFFERING);
    if (!compiled.ok || problems.length > 0) {
      this.log.error(`registration refused: ${problems.join('; ')}`);
      return { type: FrameType.Error, body: { error: problems.join('; ') } };
    }
    const { config } = compiled.engine;
    const token = this.#confs.store(`${request.gateway}\u0000${request.route ?? ''}\u0000${request.policy}`, { engine: compiled.engine, route: request.route, gateway: request.gateway, failsClosed: config.store.onFailure === 'closed' });
    const plan = planFacts(config, request.route);
    const kong = request.gateway === 'kong';
    return {
      type: FrameType.Registered,
      body: {
        token,
        headers: headersRead(config, request.gateway),
        // The APISIX runner asks for consumer_name only when an auth plugin identifies callers.
        consumer: kong ? plan.consumer : config.identity.auth !== 'none',
        credential: kong ? plan.credential : config.identity.auth !== 'none',
        // APISIX hands the runner the client address on every call.
        ip: kong ? plan.clientIp : true,
        scheme: plan.scheme,
        // Only routes whose cost or price is read from the body make the adapter read it.
        body: entryNeedsBody(config, request.route),
      },
    };
  }

  decide(request: DecideRequest): Answer | Promise<Answer> {
    const registered = this.#confs.get(request.token);
    if (registered === undefined) return UNKNOWN_TOKEN;
    // Read after its adapter gave up (a stalled sidecar): failing closed, the client was refused,
    // so deciding it now could only charge a refused request. Failing open it was served, and is counted.
    if (registered.failsClosed && request.deadline !== undefined && Date.now() >= request.deadline) return PAST_DEADLINE;
    const decision = registered.engine.decide(new SentFacts(request, registered), request.deadline);
    return decision instanceof Promise ? decision.then((d) => answer(d, request)) : answer(decision, request);
  }

  async complete(request: CompleteRequest): Promise<Answer> {
    const registered = this.#confs.get(request.token);
    if (registered === undefined) return UNKNOWN_TOKEN;
    const { response } = request;
    const completion = await registered.engine.complete({ id: request.followUp }, request.status, response === undefined ? undefined : { status: request.status, ...response });
    if (completion.hold.kind === 'failed') this.log.error(`follow-up after status ${String(request.status)} failed: ${completion.hold.error}`);
    return COMPLETED;
  }
}

/** Every request header the engine may read for this policy, lower-case. */
export function headersRead(config: Engine['config'], gateway: RegisterRequest['gateway']): string[] {
  const names = new Set<string>(['host', ...REQUEST_ID_HEADERS[gateway]]);
  if (config.identity.limitBy === 'header' && config.identity.header !== undefined) names.add(config.identity.header.toLowerCase());
  if (config.payment?.x402 !== undefined) for (const name of PAYMENT_HEADERS) names.add(name);
  const headers = config.rewrite?.request?.headers;
  // Renames read their source; adds read whether the header is already there.
  for (const name of [...Object.keys(headers?.rename ?? {}), ...Object.keys(headers?.add ?? {})]) names.add(name.toLowerCase());
  for (const variable of templateVariables(JSON.stringify(config.rewrite ?? {}))) {
    if (variable.startsWith('header.')) names.add(variable.slice('header.'.length).toLowerCase());
  }
  return [...names];
}

class SentFacts implements RequestFacts {
  readonly method: string;
  readonly path: string;
  readonly host: string | undefined;
  readonly scheme: string | undefined;
  readonly headers: Readonly<Record<string, HeaderValues>>;
  readonly clientIp: string;
  readonly consumer: RequestFacts['consumer'];
  readonly credentialId: string | undefined;
  readonly route: string | undefined;
  readonly requestId: string | undefined;
  readonly body: string | undefined;
  readonly bodyTruncated: true | undefined;
  #query: RequestFacts['query'] | undefined;

  constructor(
    private readonly request: DecideRequest,
    registered: Registered,
  ) {
    const { headers } = request;
    this.method = request.method;
    this.path = request.path;
    this.headers = headers;
    this.host = first(headers.host);
    this.scheme = request.scheme;
    this.clientIp = request.clientIp;
    this.consumer = request.consumer;
    this.credentialId = request.credentialId === '' ? undefined : request.credentialId;
    this.route = registered.route;
    this.requestId = requestIdOf(headers, REQUEST_ID_HEADERS[registered.gateway]);
    this.body = request.body;
    this.bodyTruncated = request.bodyTruncated ? true : undefined;
  }

  get query(): RequestFacts['query'] {
    return (this.#query ??= parseQuery(this.request.rawQuery));
  }
}

function first(values: HeaderValues | undefined): string | undefined {
  return typeof values === 'string' ? values : values?.[0];
}

/** The first of `names` the request carries (a plain loop: this runs on every decision). */
function requestIdOf(headers: Readonly<Record<string, HeaderValues>>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const id = first(headers[name]);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** Deny or Respond (the usage endpoint's 200) → EXIT; allow → CONTINUE with only the members that change something. */
function answer(decision: Decision, request: DecideRequest): Answer {
  if (decision.kind !== 'allow') return { type: FrameType.Exit, body: { s: decision.status, h: decision.headers, b: decision.body } };
  const { upstream, responseHeaders, followUp, observe } = decision;
  const body: Record<string, unknown> = {};
  if (Object.keys(responseHeaders).length > 0) body.rh = responseHeaders;
  if (Object.keys(upstream.setHeaders).length > 0) body.uh = upstream.setHeaders;
  if (upstream.removeHeaders.length > 0) body.ur = upstream.removeHeaders;
  if (upstream.removeQuery.length > 0 || Object.keys(upstream.setQuery).length > 0) body.q = rewriteQuery(request.rawQuery, upstream);
  if (upstream.path !== undefined) body.p = upstream.path;
  if (followUp !== undefined) body.f = followUp.id;
  if (observe !== undefined) body.o = { ...(observe.header === undefined ? {} : { h: observe.header }), ...(observe.body === true ? { b: true } : {}) };
  return { type: FrameType.Continue, body };
}
