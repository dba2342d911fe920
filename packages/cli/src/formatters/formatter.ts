import type { Diagnostic, RuleInfo } from '@tollgate/policy';

export interface FormatContext {
  /** Every rule lint can report (SARIF lists them all, not only those with results). */
  readonly rules: readonly RuleInfo[];
  readonly toolVersion: string;
  /** Turns a diagnostic's source into a repository-relative URI (SARIF, annotations). */
  readonly repoPath: (source: string) => string;
}

/** A pure function from results to text: one per output format. */
export type Formatter = (diagnostics: readonly Diagnostic[], context: FormatContext) => string;

/** 1-based line and column, as people and GitHub count. */
export function start(d: Diagnostic): { line: number; column: number } {
  return { line: d.range.start.line + 1, column: d.range.start.character + 1 };
}

export function end(d: Diagnostic): { line: number; column: number } {
  return { line: d.range.end.line + 1, column: d.range.end.character + 1 };
}

/** Keeps one-line formats one line per finding. */
export function oneLine(message: string): string {
  return message.replace(/\r?\n|\r/g, ' ');
}
