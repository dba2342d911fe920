import { SEVERITIES, type Severity } from '@tollgate/policy';
import { printable, start, type Formatter } from './formatter.js';

const WORD: Record<Severity, string> = { error: 'error', warn: 'warning', info: 'information', hint: 'hint' };
const PLURAL: Record<Severity, string> = { error: 'errors', warn: 'warnings', info: 'infos', hint: 'hints' };

/** For people: findings grouped by file, aligned columns, a summary line. */
export const stylish: Formatter = (diagnostics) => {
  if (diagnostics.length === 0) return 'No problems found.\n';
  const rows = diagnostics.map((d) => {
    const { line, column } = start(d);
    return { source: d.source, cells: [`${line}:${column}`, WORD[d.severity], d.code, printable(d.message), printable(d.path.join('.'))] };
  });
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r.cells[i]?.length ?? 0)));
  const lines: string[] = [];
  let current: string | undefined;
  for (const row of rows) {
    if (row.source !== current) {
      if (current !== undefined) lines.push('');
      lines.push(row.source);
      current = row.source;
    }
    lines.push(` ${row.cells.map((cell, i) => (i < 4 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  ').trimEnd()}`);
  }
  const counts = SEVERITIES.map((s) => `${diagnostics.filter((d) => d.severity === s).length} ${PLURAL[s]}`);
  const total = diagnostics.length;
  lines.push('', `✖ ${total} ${total === 1 ? 'problem' : 'problems'} (${counts.join(', ')})`);
  return `${lines.join('\n')}\n`;
};

