// From a loaded project to scenarios ready to play: each Scenarios document's policy compiled to
// its EngineConfig, instants in ms, operations in the engine's shape. What cannot be played is a
// finding at the line that says so.
import { buildIr } from '@tollgate/compiler';
import type { AccountOperation, AccountSeed, EngineConfig, PlayableScenario, ScenarioRequest, ScenarioStep } from '@tollgate/engine';
import type { Diagnostic, Located, PathSegment, Project, Scenario, ScenarioAccount, ScenarioOperation, ScenariosDocument } from '@tollgate/policy';

export const SCENARIO_CODE = 'scenario';

/** One scenario to play, and where its findings go. */
export interface ScenarioRun {
  readonly document: Located<ScenariosDocument>;
  /** Index in `spec.scenarios`. */
  readonly index: number;
  readonly name: string;
  readonly playable?: PlayableScenario;
  /** Why it cannot be played (a clock going back, a step with both request and op, an unknown policy). */
  readonly problems: readonly Diagnostic[];
}

export function planRuns(project: Project): ScenarioRun[] {
  const configs = new Map(buildIr(project).ir.policies.map((p) => [p.name, p.config]));
  return project.scenarios.flatMap((document) => {
    const { spec } = document.value;
    const config = configs.get(spec.policy);
    return spec.scenarios.map((scenario, index): ScenarioRun => {
      const problems: Diagnostic[] = [];
      const report = (path: readonly PathSegment[], message: string): void => {
        problems.push(document.diagnostic(path, SCENARIO_CODE, 'error', message));
      };
      if (config === undefined) {
        report(['spec', 'policy'], `no Policy named "${spec.policy}" in the files tested (${[...configs.keys()].join(', ') || 'none'})`);
        return { document, index, name: scenario.name, problems };
      }
      const playable = toPlayable(config, spec.clock, spec.accounts ?? {}, scenario, (path, message) => { report(['spec', 'scenarios', index, ...path], message); });
      return { document, index, name: scenario.name, problems, ...(problems.length === 0 ? { playable } : {}) };
    });
  });
}

type Report = (path: readonly PathSegment[], message: string) => void;

function toPlayable(config: EngineConfig, clock: string, shared: Readonly<Record<string, ScenarioAccount>>, scenario: Scenario, report: Report): PlayableScenario {
  const start = Date.parse(scenario.clock ?? clock);
  const accounts = Object.fromEntries(Object.entries({ ...shared, ...scenario.accounts }).map(([id, a]) => [id, seedOf(a)]));
  const delivered = asDelivered(config);
  let now = start;
  const steps = scenario.steps.map((step, i): ScenarioStep => {
    let advance = step.advance ?? 0;
    if (step.at !== undefined) advance = Date.parse(step.at) - now;
    if (advance < 0) report(['steps', i, 'at'], `the clock cannot go back (${step.at ?? ''} is before ${new Date(now).toISOString()})`);
    now += Math.max(advance, 0);
    if ((step.request === undefined) === (step.op === undefined)) report(['steps', i], 'a step has exactly one of request, op');
    if (step.upstreamStatus !== undefined && step.upstream?.status !== undefined) report(['steps', i, 'upstream', 'status'], 'a step gives the upstream status once: upstreamStatus or upstream.status');
    return {
      advance: Math.max(advance, 0),
      repeat: step.repeat ?? 1,
      ...(step.request === undefined ? {} : { request: delivered(step.request) }),
      ...(step.op === undefined ? {} : { op: operationOf(step.op) }),
      upstream: { ...step.upstream, status: step.upstream?.status ?? step.upstreamStatus ?? 200 },
      expect: step.expect ?? {},
      ...(step.state === undefined ? {} : { state: step.state }),
    };
  });
  return { config, start, accounts, steps };
}

function seedOf(account: ScenarioAccount): AccountSeed {
  return {
    ...(account.plan === undefined ? {} : { plan: account.plan }),
    ...(account.status === undefined ? {} : { status: account.status }),
    ...(account.paidThrough === undefined ? {} : { paidThrough: Date.parse(account.paidThrough) }),
    ...(account.periodAnchor === undefined ? {} : { periodAnchor: Date.parse(account.periodAnchor) }),
    ...(account.credits === undefined ? {} : { credits: account.credits }),
  };
}

function operationOf(op: ScenarioOperation): AccountOperation {
  if ('set-plan' in op) return { kind: 'set-plan', ...op['set-plan'] };
  if ('set-status' in op) {
    const { paidThrough, ...rest } = op['set-status'];
    return { kind: 'set-status', ...rest, ...(paidThrough === undefined ? {} : { paidThrough: Date.parse(paidThrough) }) };
  }
  if ('grant' in op) {
    const { expiresAt, ...rest } = op.grant;
    return { kind: 'grant', ...rest, ...(expiresAt === undefined ? {} : { expiresAt: Date.parse(expiresAt) }) };
  }
  if ('debit' in op) return { kind: 'debit', ...op.debit };
  const { debit, ...rest } = op.refund;
  return { kind: 'refund', ...rest, ...(debit === undefined ? {} : { debitKey: debit }) };
}

/**
 * What the gateway hands Tollgate: with key-auth and anonymous callers, a caller without a key
 * continues as the anonymous consumer the compiler configured (Kong key-auth `anonymous`, APISIX
 * `anonymous_consumer`), never as no consumer.
 */
function asDelivered(config: EngineConfig): (request: ScenarioRequest) => ScenarioRequest {
  const { auth, anonymous, anonymousConsumer } = config.identity;
  if (auth !== 'key-auth' || anonymous !== true || anonymousConsumer === undefined) return (request) => request;
  return (request) => (request.consumer === undefined ? { ...request, consumer: anonymousConsumer } : request);
}
