// Diagnostics are data (as in Spectral): rules say what and where in the document; the loader
// turns the where into a range; formatters turn the list into text.

export const SEVERITIES = ['error', 'warn', 'info', 'hint'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type PathSegment = string | number;

/** 0-based, like LSP and Spectral's JSON output; formatters convert to 1-based. */
export interface Position {
  readonly line: number;
  readonly character: number;
}
export interface Range {
  readonly start: Position;
  readonly end: Position;
}

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly path: readonly PathSegment[];
  /** The file, as the caller named it (cwd-relative in the CLI). */
  readonly source: string;
  readonly range: Range;
}

/** Lower is more severe, as Spectral's numeric severities. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) <= severityRank(threshold);
}

export const START_OF_FILE: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    (a.source < b.source ? -1 : a.source > b.source ? 1 : 0) ||
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    severityRank(a.severity) - severityRank(b.severity) ||
    (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

/** Output is identical every run: sorted by file, position, severity, rule, message; duplicates dropped. */
export function sortDiagnostics(diagnostics: Iterable<Diagnostic>): Diagnostic[] {
  const unique = new Map<string, Diagnostic>();
  for (const d of diagnostics) {
    const key = JSON.stringify([d.source, d.range, d.code, d.severity, d.message]);
    if (!unique.has(key)) unique.set(key, d);
  }
  return [...unique.values()].sort(compareDiagnostics);
}
