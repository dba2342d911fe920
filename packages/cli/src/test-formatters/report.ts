import { sortDiagnostics, type Diagnostic } from '@tollgate/policy';
import type { FormatContext } from '../formatters/index.js';
import type { ScenarioResult } from '../scenarios/run-scenarios.js';

/** What `tollgate test` found: the scenarios played, and findings that kept files from loading. */
export interface TestReport {
  readonly results: readonly ScenarioResult[];
  /** Error-level lint findings of the files tested (a scenario of a broken policy proves nothing). */
  readonly problems: readonly Diagnostic[];
}

/** A pure function from a test report to text: one per output format, as lint's formatters. */
export type TestFormatter = (report: TestReport, context: FormatContext) => string;

/** Every finding of the report, sorted as lint sorts: by file, position, rule, message. */
export function allFindings(report: TestReport): Diagnostic[] {
  return sortDiagnostics([...report.problems, ...report.results.flatMap((r) => r.failures)]);
}

export function summary(report: TestReport): string {
  const failed = report.results.filter((r) => r.failures.length > 0).length;
  const total = report.results.length;
  const problems = report.problems.length === 0 ? '' : `, ${report.problems.length} ${report.problems.length === 1 ? 'file problem' : 'file problems'}`;
  return `${total} ${total === 1 ? 'scenario' : 'scenarios'}: ${total - failed} passed, ${failed} failed${problems}`;
}
