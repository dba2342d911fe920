// The diff as plain text (terminals, logs) and as Markdown (a pull-request comment).
import type { Change, PlanRow } from './diff.js';

export interface DiffReport {
  readonly title: string;
  readonly plans: readonly PlanRow[];
  readonly changes: readonly Change[];
}

const SIGN = { added: '+', removed: '-', changed: '~' } as const;
const KIND_TITLES: readonly [Change['kind'], string][] = [
  ['route', 'Routes'],
  ['plugin', 'Plugins'],
  ['service', 'Services'],
  ['consumer', 'Consumers'],
  ['consumer_group', 'Consumer groups'],
];

export function diffText(report: DiffReport): string {
  if (report.plans.length === 0 && report.changes.length === 0) return `${report.title}: no changes\n`;
  const lines = [report.title];
  if (report.plans.length > 0) {
    lines.push('', 'plans:');
    for (const row of report.plans) lines.push(`  ${row.policy}/${row.plan}: ${row.before ?? '(none)'} -> ${row.after ?? '(removed)'}`);
  }
  for (const [kind, title] of KIND_TITLES) {
    const changes = report.changes.filter((c) => c.kind === kind);
    if (changes.length === 0) continue;
    lines.push('', `${title.toLowerCase()}:`);
    for (const c of changes) lines.push(`  ${SIGN[c.change]} ${c.key}${c.summary && c.summary !== c.key ? `  (${c.summary})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Table cells may not contain "|" or newlines. */
const cell = (text: string | undefined): string => (text === undefined ? '—' : text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' '));
const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;

export function diffMarkdown(report: DiffReport): string {
  const lines = [`### ${report.title}`, ''];
  if (report.plans.length === 0 && report.changes.length === 0) return `${lines.join('\n')}No changes in the compiled configuration.\n`;
  if (report.plans.length > 0) {
    lines.push('| Policy | Plan | Before | After |', '|---|---|---|---|');
    for (const row of report.plans) lines.push(`| ${cell(row.policy)} | ${cell(row.plan)} | ${cell(row.before)} | ${cell(row.after ?? (row.before === undefined ? undefined : 'removed'))} |`);
    lines.push('');
  }
  for (const [kind, title] of KIND_TITLES) {
    const changes = report.changes.filter((c) => c.kind === kind);
    if (changes.length === 0) continue;
    lines.push(`**${title}**`, '');
    for (const c of changes) lines.push(`- ${c.change} ${code(c.key)}${c.summary && c.summary !== c.key ? ` — ${cell(c.summary)}` : ''}`);
    lines.push('');
  }
  return lines.join('\n');
}
