import { stylish as lintStylish } from '../formatters/stylish.js';
import { printable, start } from '../formatters/formatter.js';
import { summary, type TestFormatter } from './report.js';

/** For people: each file's scenarios passed (✓) or failed (✖) with where and why, then a summary. */
export const stylish: TestFormatter = (report, context) => {
  const lines: string[] = [];
  if (report.problems.length > 0) lines.push(lintStylish(report.problems, context).trimEnd(), '');
  let current: string | undefined;
  for (const result of report.results) {
    if (result.source !== current) {
      if (current !== undefined) lines.push('');
      lines.push(result.source);
      current = result.source;
    }
    lines.push(`  ${result.failures.length === 0 ? '✓' : '✖'} ${printable(result.suite)} › ${printable(result.name)}`);
    for (const failure of result.failures) {
      const { line, column } = start(failure);
      lines.push(`      ${line}:${column}  ${printable(failure.message)}`);
    }
  }
  lines.push('', `${report.results.some((r) => r.failures.length > 0) || report.problems.length > 0 ? '✖' : '✓'} ${summary(report)}`);
  return `${lines.join('\n').replace(/^\n+/, '')}\n`;
};
