import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { Diagnostic, PathSegment, Severity } from '../diagnostics.js';
import type { TollgateDocument } from '../schema/documents.js';
import type { ConsumersDocument, PlansDocument, PolicyDocument } from '../schema/policy-schema.js';
import type { ScenariosDocument } from '../schema/scenarios-schema.js';
import { Locator, type Target } from './locate.js';
import { checkSchema } from './schema-check.js';
import { decodeSource, type SourceFile } from './source-file.js';
import { findYaml11Ambiguities } from './yaml11.js';
import { errorSpan, unresolvedAliases, type Span } from './yaml-positions.js';

/** A schema-valid document and the means to point at any of its nodes. */
export interface Located<T extends TollgateDocument = TollgateDocument> {
  readonly value: T;
  readonly source: string;
  /** Position of the document in its file (0 for the first). */
  readonly index: number;
  diagnostic(path: readonly PathSegment[], code: string, severity: Severity, message: string, at?: Target): Diagnostic;
}

export interface Project {
  readonly policies: readonly Located<PolicyDocument>[];
  readonly plans: readonly Located<PlansDocument>[];
  readonly consumers: readonly Located<ConsumersDocument>[];
  /** Scenario files (`tollgate test`): checked by lint, ignored by the compiler. */
  readonly scenarios: readonly Located<ScenariosDocument>[];
}

export interface LoadResult {
  /** Only documents that passed the schema: semantic rules and the compiler can trust their types. */
  readonly project: Project;
  /** File, YAML and schema findings, unsorted (lint sorts the final list). */
  readonly diagnostics: readonly Diagnostic[];
}

/** YAML anchors may be used, but not to blow a small file up into a huge value. */
const MAX_ALIAS_COUNT = 100;

export function loadProject(files: readonly SourceFile[]): LoadResult {
  const policies: Located<PolicyDocument>[] = [];
  const plans: Located<PlansDocument>[] = [];
  const consumers: Located<ConsumersDocument>[] = [];
  const scenarios: Located<ScenariosDocument>[] = [];
  const diagnostics: Diagnostic[] = [];

  for (const file of files) {
    for (const located of loadFile(file, diagnostics)) {
      const { value } = located;
      if (value.kind === 'Policy') policies.push(located as Located<PolicyDocument>);
      else if (value.kind === 'Plans') plans.push(located as Located<PlansDocument>);
      else if (value.kind === 'Consumers') consumers.push(located as Located<ConsumersDocument>);
      else scenarios.push(located as Located<ScenariosDocument>);
    }
  }
  return { project: { policies, plans, consumers, scenarios }, diagnostics };
}

function loadFile(file: SourceFile, diagnostics: Diagnostic[]): Located[] {
  const decoded = decodeSource(file);
  if (!decoded.ok) {
    diagnostics.push(decoded.diagnostic);
    return [];
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(decoded.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(docs) || docs.every((d) => d.contents === null && d.errors.length === 0)) {
    diagnostics.push(fileLevel(file.path, 'empty-file', 'warn', 'file has no YAML documents'));
    return [];
  }
  const located: Located[] = [];
  docs.forEach((doc, index) => {
    const result = loadDocument(doc, index, file.path, lineCounter, diagnostics);
    if (result) located.push(result);
  });
  return located;
}

function loadDocument(doc: Document, index: number, source: string, lineCounter: LineCounter, diagnostics: Diagnostic[]): Located | undefined {
  const locator = new Locator(doc, lineCounter);
  const diagnostic = (path: readonly PathSegment[], code: string, severity: Severity, message: string, at: Target = 'value'): Diagnostic => ({
    code,
    severity,
    message,
    path: [...path],
    source,
    range: locator.range(path, at),
  });

  for (const error of doc.errors) {
    const { span, note } = errorSpan(doc, error);
    diagnostics.push(yamlProblem(source, lineCounter, span, 'yaml-syntax', 'error', error.message, note));
  }
  if (doc.errors.length > 0) return undefined;
  const aliases = unresolvedAliases(doc);
  for (const alias of aliases) diagnostics.push(yamlProblem(source, lineCounter, alias.span, 'yaml-syntax', 'error', alias.message));
  if (aliases.length > 0) return undefined;
  for (const warning of doc.warnings) {
    diagnostics.push(yamlProblem(source, lineCounter, warning.pos, 'yaml-warning', 'warn', warning.message));
  }
  if (doc.contents === null) return undefined;

  for (const ambiguity of findYaml11Ambiguities(doc)) {
    diagnostics.push(
      diagnostic(ambiguity.path, 'yaml11-ambiguous', 'warn', `"${ambiguity.source}" is ${ambiguity.meaning12} here but ${ambiguity.meaning11} to YAML 1.1 readers (decK, APISIX): quote it, or write the value you mean`),
    );
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    diagnostics.push(diagnostic([], 'yaml-syntax', 'error', `document cannot be read: ${error instanceof Error ? error.message : String(error)}`));
    return undefined;
  }
  const findings = checkSchema(value);
  for (const f of findings) diagnostics.push(diagnostic(f.path, f.code, f.severity, f.message, f.at));
  if (findings.length > 0) return undefined;
  return { value: value as TollgateDocument, source, index, diagnostic };
}

function yamlProblem(source: string, lineCounter: LineCounter, pos: Span, code: string, severity: Severity, message: string, note?: string): Diagnostic {
  const start = lineCounter.linePos(pos[0]);
  const end = lineCounter.linePos(pos[1]);
  return {
    code,
    severity,
    // The yaml package appends " at line L, column C:" and a source excerpt; the range already says where.
    message: message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '') + (note === undefined ? '' : ` (${note})`),
    path: [],
    source,
    range: { start: { line: start.line - 1, character: start.col - 1 }, end: { line: end.line - 1, character: end.col - 1 } },
  };
}

function fileLevel(source: string, code: string, severity: Severity, message: string): Diagnostic {
  return { code, severity, message, path: [], source, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
}
