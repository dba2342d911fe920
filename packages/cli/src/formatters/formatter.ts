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

// C0 controls, DEL, C1 controls (0x9b is a CSI to some terminals) and the Unicode line and
// paragraph separators: a message may quote a policy's text, which must not recolour a terminal,
// move its cursor or forge another finding's line.
// CR and LF are left to the caller: one-line formats make them spaces, GitHub commands escape them.
 
const CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Control characters other than CR and LF as visible escapes (`\u001b`). */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Text fit for one line of any format: line breaks become spaces, other control characters visible escapes. */
export function printable(text: string): string {
  return escapeControls(text.replace(/\r?\n|\r/g, ' '));
}
