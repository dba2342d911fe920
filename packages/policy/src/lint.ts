import { sortDiagnostics, type Diagnostic, type Severity } from './diagnostics.js';
import { loadProject, type Project } from './load/load-project.js';
import type { SourceFile } from './load/source-file.js';
import { RULES } from './rules/index.js';

export interface RuleInfo {
  readonly id: string;
  readonly severity: Severity;
  readonly description: string;
}

/** Findings the loader itself reports, before any semantic rule runs. */
export const LOADER_RULES: readonly RuleInfo[] = [
  { id: 'file-encoding', severity: 'error', description: 'Policy files are UTF-8 text.' },
  { id: 'file-too-large', severity: 'error', description: 'Policy files are at most 4 MiB.' },
  { id: 'empty-file', severity: 'warn', description: 'A policy file holds at least one YAML document.' },
  { id: 'yaml-syntax', severity: 'error', description: 'The file must be well-formed YAML with unique keys.' },
  { id: 'yaml-warning', severity: 'warn', description: 'YAML the parser accepts but flags.' },
  { id: 'yaml11-ambiguous', severity: 'warn', description: 'Unquoted scalars that YAML 1.1 readers (decK, APISIX) read as booleans or numbers.' },
  { id: 'unknown-kind', severity: 'error', description: 'Documents are of kind Policy, Plans, Consumers or Scenarios.' },
  { id: 'unknown-key', severity: 'error', description: 'Keys the policy language does not define.' },
  { id: 'schema', severity: 'error', description: 'Values must match the policy language schema.' },
];

/** A check contributed from outside the policy package (the compiler's target checks). */
export type ProjectCheck = (project: Project) => Iterable<Diagnostic>;

export interface LintResult {
  readonly project: Project;
  /** Sorted and deduplicated: identical every run. */
  readonly diagnostics: readonly Diagnostic[];
}

export function lint(files: readonly SourceFile[], extraChecks: readonly ProjectCheck[] = []): LintResult {
  const { project, diagnostics } = loadProject(files);
  const found: Diagnostic[] = [...diagnostics];
  for (const rule of RULES) {
    for (const finding of rule.check(project)) {
      found.push(finding.document.diagnostic(finding.path, rule.id, rule.severity, finding.message, finding.at));
    }
  }
  for (const check of extraChecks) found.push(...check(project));
  return { project, diagnostics: sortDiagnostics(found) };
}

/** Every rule lint can report, for SARIF's rule list and the docs. */
export function ruleCatalogue(extra: readonly RuleInfo[] = []): RuleInfo[] {
  const all = [...LOADER_RULES, ...RULES.map(({ id, severity, description }) => ({ id, severity, description })), ...extra];
  return all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
