// The `tollgate` runner plugin: its conf value is the EngineConfig JSON the compiler emits
// (`ext-plugin-pre-req|post-req: {conf: [{name: "tollgate", value: "<json>"}]}`). PrepareConf
// checks it once through the engine runtime; each call translates the request, asks APISIX only
// for the variables this policy needs, and translates the decision back. With
// `ext-plugin-post-resp` carrying the same conf, the response call completes what the decision
// left for after the upstream answered (chargeOn success, x402 settlement + PAYMENT-RESPONSE, a
// metered route's cost from the header it takes off the response, or from the body).
import {
  bodyFraming,
  captureBody,
  entryNeedsBody,
  entryResponseWork,
  fitsRequestBodyLimit,
  requestBodyFacts,
  UNREAD_BODY,
  type Completion,
  type Decision,
  type Engine,
  type ResponseFacts,
  type Runtime,
} from '@tollgate/engine';
import type { HttpRespCallRequest, HttpRespCallResponse, ReceivedReqCall, ReqCallAction, TextEntry } from '../protocol/messages.js';
import type { CallContext, CallHandler, Prepared } from '../runner/handler.js';
import type { Logger } from '../runner/log.js';
import { toAction } from './action.js';
import { endToEndHeaders } from './end-to-end.js';
import { toFacts, type BodyFacts, type CallVariables } from './facts.js';
import { PendingFollowUps, type PendingFollowUp } from './follow-ups.js';

export const PLUGIN_NAME = 'tollgate';
/** Names the policy route APISIX matched (the compiler emits one per route), so the engine never guesses it. */
export const ROUTE_CONF_NAME = 'tollgate-route';

export interface TollgateConf {
  readonly engine: Engine;
  /** The policy route of this APISIX route, when its conf names it. */
  readonly route: string | undefined;
  /** APISIX variables the decision needs, asked in one pipelined ExtraInfo round trip. */
  readonly variables: readonly (keyof typeof VARIABLES)[];
  /** Their APISIX names, in the same order. */
  readonly variableNames: readonly string[];
  /** Whether the request body is read (routeNeedsBody): a metered estimate or model, or MCP prices, come from it. */
  readonly readsBody: boolean;
}

/** Empty conf (`ext-plugin-pre-req: {}`): nothing to enforce, every call passes unchanged. */
type Conf = TollgateConf | undefined;

const VARIABLES = { consumerName: 'consumer_name', scheme: 'scheme', requestId: 'request_id', upstreamUri: 'upstream_uri' } as const;

export function createTollgateHandler(runtime: Runtime, log: Logger, pending = new PendingFollowUps()): CallHandler<Conf> {
  return {
    prepare: (conf) => prepare(runtime, log, conf),
    reqCall: (conf, req, context) => (conf === undefined ? { kind: 'none' } : decide(conf, req, context, pending)),
    respCall: (conf, req, context) => (conf === undefined || pending.size === 0 ? unchanged(req) : complete(conf.engine, req, context, pending, log)),
  };
}

/** Keeps the upstream's status and body (status 0, no body) and its end-to-end headers, minus `removed` (lower-case). */
function unchanged(req: HttpRespCallRequest, removed?: ReadonlySet<string>): HttpRespCallResponse {
  const headers = endToEndHeaders(req.headers, removed);
  // An empty list makes APISIX copy the upstream's headers itself, the removed one included: the
  // answer then carries the Date nginx sends anyway (it keeps one a header filter already set).
  if (headers.length === 0 && removed !== undefined && removed.size > 0) headers.push({ name: 'Date', value: new Date().toUTCString() });
  return { id: req.id, status: 0, headers };
}

async function complete(engine: Engine, req: HttpRespCallRequest, context: CallContext, pending: PendingFollowUps, log: Logger): Promise<HttpRespCallResponse> {
  const [requestId] = await context.variables([VARIABLES.requestId]);
  const taken = requestId === undefined ? undefined : pending.take(requestId);
  if (taken === undefined) return unchanged(req);
  const completion = await engine.complete(taken.followUp, req.status, await observed(req, context, taken));
  if (completion.hold.kind === 'failed') log.error(`follow-up after status ${String(req.status)} failed: ${completion.hold.error}`);
  const header = taken.observe?.header;
  return toRespCallResponse(req, completion, header === undefined ? undefined : new Set([header]));
}

/**
 * What a metered decision asked to observe: the cost header from the upstream's headers (the
 * answer then leaves it out), and the body, which APISIX reads whole at the runner's request
 * (RespBody) and sends only afterwards.
 */
async function observed(req: HttpRespCallRequest, context: CallContext, { observe }: PendingFollowUp): Promise<ResponseFacts | undefined> {
  if (observe === undefined) return undefined;
  const header = observe.header === undefined ? undefined : headerValue(req, observe.header);
  const body = observe.body === true ? captureBody((await context.body('resp-body')) ?? new Uint8Array()) : undefined;
  const contentType = observe.body === true ? headerValue(req, 'content-type') : undefined;
  return { status: req.status, ...(header === undefined ? {} : { header }), ...(body === undefined ? {} : { body }), ...(contentType === undefined ? {} : { contentType }) };
}

function headerValue(req: HttpRespCallRequest, name: string): string | undefined {
  return req.headers.find((entry) => entry.name.toLowerCase() === name)?.value;
}

/** Settlement failed: the 402 replaces status, headers and body. Else Tollgate's headers join the upstream's (minus `removed`). */
function toRespCallResponse(req: HttpRespCallRequest, completion: Completion, removed: ReadonlySet<string> | undefined): HttpRespCallResponse {
  const { replace } = completion;
  if (replace !== undefined) return { id: req.id, status: replace.status, headers: entries(replace.headers), body: new TextEncoder().encode(replace.body) };
  const added = entries(completion.headers);
  if (added.length === 0) return unchanged(req, removed);
  const names = new Set([...added.map((h) => h.name.toLowerCase()), ...(removed ?? [])]);
  return { id: req.id, status: 0, headers: [...endToEndHeaders(req.headers, names), ...added] };
}

function entries(record: Readonly<Record<string, string>>): TextEntry[] {
  return Object.entries(record).map(([name, value]) => ({ name, value }));
}

function prepare(runtime: Runtime, log: Logger, conf: readonly TextEntry[]): Prepared<Conf> {
  const problems: string[] = [];
  const ours = conf.filter((entry) => entry.name === PLUGIN_NAME);
  const routes = conf.filter((entry) => entry.name === ROUTE_CONF_NAME);
  // An unknown name is most likely a typo; skipping it would silently stop enforcement.
  for (const entry of conf) if (entry.name !== PLUGIN_NAME && entry.name !== ROUTE_CONF_NAME) problems.push(`unknown runner plugin "${entry.name}" (this runner serves "${PLUGIN_NAME}")`);
  if (ours.length > 1) problems.push(`"${PLUGIN_NAME}" is configured ${ours.length} times; give it once`);
  if (routes.length > 1) problems.push(`"${ROUTE_CONF_NAME}" is configured ${routes.length} times; give it once`);
  const [entry] = ours;
  const route = routes[0]?.value;
  if (route !== undefined && entry === undefined) problems.push(`"${ROUTE_CONF_NAME}" needs "${PLUGIN_NAME}" next to it`);
  if (entry === undefined) return problems.length > 0 ? { ok: false, problems } : { ok: true, conf: undefined };
  const compiled = runtime.engineFor(entry.value ?? '');
  if (!compiled.ok) problems.push(...compiled.errors.map((error) => `${PLUGIN_NAME} conf ${error}`));
  if (compiled.ok && route !== undefined && !compiled.engine.config.routes.some((r) => r.name === route)) problems.push(`"${ROUTE_CONF_NAME}" names route "${route}", which the policy does not define`);
  if (problems.length > 0 || !compiled.ok) return { ok: false, problems };
  const { config } = compiled.engine;
  const variables: (keyof typeof VARIABLES)[] = [];
  if (config.identity.auth !== 'none') variables.push('consumerName');
  if (config.payment?.x402 !== undefined) variables.push('scheme');
  // Decisions that leave work for after the upstream answered need the request's id to find it again.
  if (entryResponseWork(config, route).work !== 'none') variables.push('requestId');
  // Query rewrites without a path rewrite must know whether a plugin already set $upstream_uri (see toAction).
  if (config.rewrite?.request?.query !== undefined && config.rewrite.request.path === undefined) variables.push('upstreamUri');
  return { ok: true, conf: { engine: compiled.engine, route, variables, variableNames: variables.map((name) => VARIABLES[name]), readsBody: entryNeedsBody(config, route) } };
}

function decide(conf: TollgateConf, req: ReceivedReqCall, context: CallContext, pending: PendingFollowUps): ReqCallAction | Promise<ReqCallAction> {
  if (conf.variables.length === 0 && !conf.readsBody) return decideWith(conf, req, {}, undefined, pending);
  return Promise.all([context.variables(conf.variableNames), conf.readsBody ? readBody(req, context) : undefined]).then(([values, body]) => {
    const vars: { -readonly [K in keyof CallVariables]: CallVariables[K] } = {};
    conf.variables.forEach((name, i) => {
      const value = values[i];
      if (value !== undefined) vars[name] = value;
    });
    return decideWith(conf, req, vars, body, pending);
  });
}

/**
 * The request body as far as the runner can ask for it: APISIX answers ReqBody with all of it
 * (core.request.get_body() without a bound, from its temp file if need be), so only a body whose
 * Content-Length is within REQUEST_BODY_LIMIT is asked for; a longer or chunked one is unread
 * (bodyTruncated, no body). Without either header an HTTP/1.x request has no body; an HTTP/2 or
 * HTTP/3 one may: unread too.
 */
async function readBody(req: ReceivedReqCall, context: CallContext): Promise<BodyFacts> {
  const framing = bodyFraming({ 'content-length': req.header('content-length'), 'transfer-encoding': req.header('transfer-encoding') });
  if (fitsRequestBodyLimit(framing)) return framing.bytes === 0 ? { body: '' } : requestBodyFacts((await context.body('req-body')) ?? new Uint8Array());
  if (framing.kind !== 'undeclared') return UNREAD_BODY;
  const [protocol] = await context.variables(['server_protocol']);
  return protocol === 'HTTP/1.0' || protocol === 'HTTP/1.1' ? { body: '' } : UNREAD_BODY;
}

function decideWith(conf: TollgateConf, req: ReceivedReqCall, vars: CallVariables, body: BodyFacts | undefined, pending: PendingFollowUps): ReqCallAction | Promise<ReqCallAction> {
  const decision = conf.engine.decide(toFacts(req, vars, conf.route, body));
  return decision instanceof Promise ? decision.then((settled) => answer(settled, req, vars, pending)) : answer(decision, req, vars, pending);
}

function answer(decision: Decision, req: ReceivedReqCall, vars: CallVariables, pending: PendingFollowUps): ReqCallAction {
  if (decision.kind === 'allow' && decision.followUp !== undefined && vars.requestId !== undefined) pending.put(vars.requestId, decision.followUp, decision.observe);
  return toAction(decision, req, vars.upstreamUri);
}
