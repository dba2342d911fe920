// The `tollgate` runner plugin: its conf value is the EngineConfig JSON the compiler emits
// (`ext-plugin-pre-req|post-req: {conf: [{name: "tollgate", value: "<json>"}]}`). PrepareConf
// checks it once through the engine runtime; each call translates the request, asks APISIX only
// for the variables this policy needs, and translates the decision back.
import type { Engine, Runtime } from '@tollgate/engine';
import type { HttpReqCallRequest, ReqCallAction, TextEntry } from '../protocol/messages.js';
import type { CallContext, CallHandler, Prepared } from '../runner/handler.js';
import type { Logger } from '../runner/log.js';
import { toAction } from './action.js';
import { toFacts, type CallVariables } from './facts.js';

export const PLUGIN_NAME = 'tollgate';

export interface TollgateConf {
  readonly engine: Engine;
  /** APISIX variables the decision needs, asked in one pipelined ExtraInfo round trip. */
  readonly variables: readonly (keyof typeof VARIABLES)[];
}

/** Empty conf (`ext-plugin-pre-req: {}`): nothing to enforce, every call passes unchanged. */
type Conf = TollgateConf | undefined;

const VARIABLES = { consumerName: 'consumer_name', scheme: 'scheme' } as const;

export function createTollgateHandler(runtime: Runtime, log: Logger): CallHandler<Conf> {
  return {
    prepare: (conf) => prepare(runtime, log, conf),
    reqCall: (conf, req, context) => (conf === undefined ? { kind: 'none' } : decide(conf, req, context)),
    // Nothing to change after the upstream answered: an empty answer keeps status, headers and body.
    respCall: (_conf, req) => ({ id: req.id, status: 0, headers: [] }),
  };
}

function prepare(runtime: Runtime, log: Logger, conf: readonly TextEntry[]): Prepared<Conf> {
  const problems: string[] = [];
  const ours = conf.filter((entry) => entry.name === PLUGIN_NAME);
  // An unknown name is most likely a typo; skipping it would silently stop enforcement.
  for (const entry of conf) if (entry.name !== PLUGIN_NAME) problems.push(`unknown runner plugin "${entry.name}" (this runner serves "${PLUGIN_NAME}")`);
  if (ours.length > 1) problems.push(`"${PLUGIN_NAME}" is configured ${ours.length} times; give it once`);
  const [entry] = ours;
  if (entry === undefined) return problems.length > 0 ? { ok: false, problems } : { ok: true, conf: undefined };
  const compiled = runtime.engineFor(entry.value ?? '');
  if (!compiled.ok) problems.push(...compiled.errors.map((error) => `${PLUGIN_NAME} conf ${error}`));
  if (problems.length > 0 || !compiled.ok) return { ok: false, problems };
  const { config } = compiled.engine;
  if (config.costs.chargeOn === 'success') {
    log.warn(`policy ${config.policy}: costs.chargeOn "success" needs an after-response hook the APISIX runner does not have yet; charges are kept whatever the upstream answers`);
  }
  const variables: (keyof typeof VARIABLES)[] = [];
  if (config.identity.auth !== 'none') variables.push('consumerName');
  if (config.payment?.x402 !== undefined) variables.push('scheme');
  return { ok: true, conf: { engine: compiled.engine, variables } };
}

function decide(conf: TollgateConf, req: HttpReqCallRequest, context: CallContext): ReqCallAction | Promise<ReqCallAction> {
  if (conf.variables.length === 0) return decideWith(conf.engine, req, {});
  return context.variables(conf.variables.map((name) => VARIABLES[name])).then((values) => {
    const vars: { -readonly [K in keyof CallVariables]: CallVariables[K] } = {};
    conf.variables.forEach((name, i) => {
      const value = values[i];
      if (value !== undefined) vars[name] = value;
    });
    return decideWith(conf.engine, req, vars);
  });
}

function decideWith(engine: Engine, req: HttpReqCallRequest, vars: CallVariables): ReqCallAction | Promise<ReqCallAction> {
  const decision = engine.decide(toFacts(req, vars));
  return decision instanceof Promise ? decision.then((d) => toAction(d, req)) : toAction(decision, req);
}
