import { escapeControls, printable, start } from '../formatters/formatter.js';
import type { Diagnostic } from '@tollgate/policy';
import type { ScenarioResult } from '../scenarios/run-scenarios.js';
import type { TestFormatter } from './report.js';

// XML 1.0 cannot carry most control characters even as references: they become visible escapes first.
function xml(text: string): string {
  return escapeControls(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function failure(d: Diagnostic): string {
  const { line, column } = start(d);
  return `      <failure message="${xml(printable(d.message))}" type="${xml(d.code)}">${xml(`${d.source}:${line}:${column} ${d.message}`)}</failure>\n`;
}

function testcase(result: ScenarioResult): string {
  const open = `    <testcase classname="${xml(result.suite)}" name="${xml(result.name)}" file="${xml(result.source)}" time="${seconds(result.durationMs)}"`;
  return result.failures.length === 0 ? `${open}/>\n` : `${open}>\n${result.failures.map(failure).join('')}    </testcase>\n`;
}

/** JUnit XML for CI test reports: a testsuite per scenario file, a testcase per scenario. */
export const junit: TestFormatter = (report) => {
  const suites = new Map<string, ScenarioResult[]>();
  for (const result of report.results) suites.set(result.source, [...(suites.get(result.source) ?? []), result]);
  const body = [...suites].map(([source, results]) => {
    const failed = results.filter((r) => r.failures.length > 0).length;
    const time = seconds(results.reduce((sum, r) => sum + r.durationMs, 0));
    return `  <testsuite name="${xml(source)}" tests="${results.length}" failures="${failed}" errors="0" time="${time}">\n${results.map(testcase).join('')}  </testsuite>\n`;
  });
  // Files that did not load are errors of their own suite: the scenarios in them never ran.
  const bySource = new Map<string, Diagnostic[]>();
  for (const d of report.problems) bySource.set(d.source, [...(bySource.get(d.source) ?? []), d]);
  for (const [source, problems] of bySource) {
    const errors = problems.map((d) => `      <error message="${xml(printable(d.message))}" type="${xml(d.code)}">${xml(`${d.source}:${start(d).line}:${start(d).column} ${d.message}`)}</error>\n`).join('');
    body.push(`  <testsuite name="${xml(source)}" tests="1" failures="0" errors="1" time="0.000">\n    <testcase classname="tollgate" name="${xml(`${source} loads`)}" file="${xml(source)}" time="0.000">\n${errors}    </testcase>\n  </testsuite>\n`);
  }
  const tests = report.results.length + bySource.size;
  const failures = report.results.filter((r) => r.failures.length > 0).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="tollgate test" tests="${tests}" failures="${failures}" errors="${bySource.size}">\n${body.join('')}</testsuites>\n`;
};
