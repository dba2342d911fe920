// Plays every planned scenario and turns broken expectations into findings at the line of the
// expectation, as lint reports its findings.
import { playScenario, type StepFailure } from '@tollgate/engine';
import { sortDiagnostics, type Diagnostic } from '@tollgate/policy';
import { SCENARIO_CODE, type ScenarioRun } from './plan-runs.js';

/** One scenario's result: a JUnit test case, a line of the stylish report. */
export interface ScenarioResult {
  readonly source: string;
  /** The Scenarios document's metadata.name. */
  readonly suite: string;
  readonly name: string;
  readonly durationMs: number;
  readonly failures: readonly Diagnostic[];
}

export async function runScenarios(runs: readonly ScenarioRun[]): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const run of runs) {
    const started = performance.now();
    const failures = sortDiagnostics(run.playable === undefined ? run.problems : await play(run));
    results.push({ source: run.document.source, suite: run.document.value.metadata.name, name: run.name, durationMs: performance.now() - started, failures });
  }
  return results;
}

async function play(run: ScenarioRun): Promise<readonly Diagnostic[]> {
  if (run.playable === undefined) return run.problems;
  const outcome = await playScenario(run.playable);
  const scenarioPath = ['spec', 'scenarios', run.index];
  if (!outcome.ok) {
    return outcome.errors.map((error) => run.document.diagnostic(['spec', 'policy'], SCENARIO_CODE, 'error', `the engine refuses the policy: ${error}`));
  }
  return outcome.failures.map((failure) => run.document.diagnostic([...scenarioPath, 'steps', failure.step, ...failure.path], SCENARIO_CODE, 'error', describe(run.name, failure)));
}

function describe(scenario: string, failure: StepFailure): string {
  const request = failure.repetition === undefined ? '' : ` (request ${failure.repetition})`;
  return `${scenario}, step ${failure.step + 1}${request}: ${failure.message}`;
}
