// The `tollgate` runner plugin: its conf value is the EngineConfig JSON the compiler emits
// (`ext-plugin-pre-req|post-req: {conf: [{name: "tollgate", value: "<json>"}]}`). PrepareConf
// checks it once through the engine runtime; each call translates the request, asks APISIX only
// for the variables this policy needs, and translates the decision back. With
// `ext-plugin-post-resp` carrying the same conf, the response call completes what the decision
// left for after the upstream answered (chargeOn success, x402 settlement + PAYMENT-RESPONSE).
import type { Completion, Decision, Engine, Runtime } from '@tollgate/engine';
import type { HttpRespCallRequest, HttpRespCallResponse, ReceivedReqCall, ReqCallAction, TextEntry } from '../protocol/messages.js';
import type { CallContext, CallHandler, Prepared } from '../runner/handler.js';
import type { Logger } from '../runner/log.js';
import { toAction } from './action.js';
import { endToEndHeaders } from './end-to-end.js';
import { toFacts, type CallVariables } from './facts.js';
import { PendingFollowUps } from './follow-ups.js';

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

/** Keeps the upstream's status and body (status 0, no body) and its end-to-end headers. */
function unchanged(req: HttpRespCallRequest): HttpRespCallResponse {
  return { id: req.id, status: 0, headers: endToEndHeaders(req.headers) };
}

async function complete(engine: Engine, req: HttpRespCallRequest, context: CallContext, pending: PendingFollowUps, log: Logger): Promise<HttpRespCallResponse> {
  const [requestId] = await context.variables([VARIABLES.requestId]);
  const followUp = requestId === undefined ? undefined : pending.take(requestId);
  if (followUp === undefined) return unchanged(req);
  const completion = await engine.complete(followUp, req.status);
  if (completion.hold.kind === 'failed') log.error(`follow-up after status ${String(req.status)} failed: ${completion.hold.error}`);
  return toRespCallResponse(req, completion);
}

/** Settlement failed: the 402 replaces status, headers and body. Else Tollgate's headers join the upstream's. */
function toRespCallResponse(req: HttpRespCallRequest, completion: Completion): HttpRespCallResponse {
  const { replace } = completion;
  if (replace !== undefined) return { id: req.id, status: replace.status, headers: entries(replace.headers), body: new TextEncoder().encode(replace.body) };
  const added = entries(completion.headers);
  if (added.length === 0) return unchanged(req);
  const names = new Set(added.map((h) => h.name.toLowerCase()));
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
  if (config.payment?.x402 !== undefined || config.costs.chargeOn === 'success') variables.push('requestId');
  // Query rewrites without a path rewrite must know whether a plugin already set $upstream_uri (see toAction).
  if (config.rewrite?.request?.query !== undefined && config.rewrite.request.path === undefined) variables.push('upstreamUri');
  return { ok: true, conf: { engine: compiled.engine, route, variables, variableNames: variables.map((name) => VARIABLES[name]) } };
}

function decide(conf: TollgateConf, req: ReceivedReqCall, context: CallContext, pending: PendingFollowUps): ReqCallAction | Promise<ReqCallAction> {
  if (conf.variables.length === 0) return decideWith(conf, req, {}, pending);
  return context.variables(conf.variableNames).then((values) => {
    const vars: { -readonly [K in keyof CallVariables]: CallVariables[K] } = {};
    conf.variables.forEach((name, i) => {
      const value = values[i];
      if (value !== undefined) vars[name] = value;
    });
    return decideWith(conf, req, vars, pending);
  });
}

function decideWith(conf: TollgateConf, req: ReceivedReqCall, vars: CallVariables, pending: PendingFollowUps): ReqCallAction | Promise<ReqCallAction> {
  const decision = conf.engine.decide(toFacts(req, vars, conf.route));
  return decision instanceof Promise ? decision.then((settled) => answer(settled, req, vars, pending)) : answer(decision, req, vars, pending);
}

function answer(decision: Decision, req: ReceivedReqCall, vars: CallVariables, pending: PendingFollowUps): ReqCallAction {
  if (decision.kind === 'allow' && decision.followUp !== undefined && vars.requestId !== undefined) pending.put(vars.requestId, decision.followUp);
  return toAction(decision, req, vars.upstreamUri);
}
