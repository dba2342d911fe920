import type { Diagnostic, Severity } from '@tollgate/policy';
import { end, escapeControls, start, type Formatter } from './formatter.js';
import { text } from './text.js';

type Command = 'error' | 'warning' | 'notice';
const COMMAND: Record<Severity, Command> = { error: 'error', warn: 'warning', info: 'notice', hint: 'notice' };

/** GitHub shows at most 10 annotations of each kind per step and drops the rest silently. */
export const ANNOTATIONS_PER_KIND = 10;

// actions/toolkit command.ts: data escapes % CR LF; property values also escape : and ,.
export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function annotation(d: Diagnostic, file: string): string {
  const from = start(d);
  const to = end(d);
  const properties = [
    ['file', file],
    ['line', String(from.line)],
    ['endLine', String(to.line)],
    ['col', String(from.column)],
    ['endColumn', String(to.column)],
    ['title', d.code],
  ]
    .map(([key, value]) => `${key ?? ''}=${escapeProperty(value ?? '')}`)
    .join(',');
  return `::${COMMAND[d.severity]} ${properties}::${escapeData(escapeControls(d.message))}`;
}

/** Workflow annotations for the first findings of each kind, then every finding as a log line. */
export const github: Formatter = (diagnostics, context) => {
  const used: Record<Command, number> = { error: 0, warning: 0, notice: 0 };
  const lines: string[] = [];
  for (const d of diagnostics) {
    const command = COMMAND[d.severity];
    if (used[command] >= ANNOTATIONS_PER_KIND) continue;
    used[command] += 1;
    lines.push(annotation(d, context.repoPath(d.source)));
  }
  const annotated = used.error + used.warning + used.notice;
  if (annotated < diagnostics.length) {
    lines.push(`::notice title=tollgate::${escapeData(`${diagnostics.length - annotated} more findings are not annotated (GitHub shows ${ANNOTATIONS_PER_KIND} of each kind per step); all are listed below`)}`);
  }
  return `${lines.map((l) => `${l}\n`).join('')}${text(diagnostics, context)}`;
};
