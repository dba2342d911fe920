import type { ErrorObject } from 'ajv';
import * as validators from '../generated/document-validators.js';
import type { PathSegment, Severity } from '../diagnostics.js';
import { DOCUMENT_KINDS, type DocumentKind } from '../schema/documents.js';
import { didYouMean } from './suggest.js';
import type { Target } from './locate.js';

export interface SchemaFinding {
  readonly code: 'schema' | 'unknown-key' | 'unknown-kind';
  readonly severity: Severity;
  readonly message: string;
  readonly path: PathSegment[];
  readonly at: Target;
}

interface GeneratedValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

const VALIDATORS = validators as unknown as Record<DocumentKind, GeneratedValidator>;

export function isDocumentKind(kind: unknown): kind is DocumentKind {
  return typeof kind === 'string' && (DOCUMENT_KINDS as readonly string[]).includes(kind);
}

/** Validates one document against the schema of its kind and explains each violation where it is. */
export function checkSchema(value: unknown): SchemaFinding[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ code: 'schema', severity: 'error', message: 'a Tollgate document must be a mapping with apiVersion, kind, metadata and spec', path: [], at: 'value' }];
  }
  const kind = (value as { kind?: unknown }).kind;
  if (!isDocumentKind(kind)) {
    const message =
      kind === undefined
        ? `missing "kind" (one of ${DOCUMENT_KINDS.join(', ')})`
        : `unknown kind ${JSON.stringify(kind)}; expected one of ${DOCUMENT_KINDS.join(', ')}${typeof kind === 'string' ? didYouMean(kind, DOCUMENT_KINDS) : ''}`;
    return [{ code: 'unknown-kind', severity: 'error', message, path: kind === undefined ? [] : ['kind'], at: 'value' }];
  }
  const validate = VALIDATORS[kind];
  if (validate(value)) return [];
  return explain(validate.errors ?? []);
}

function explain(errors: readonly ErrorObject[]): SchemaFinding[] {
  // A union (anyOf) reports every branch's complaint; keep the branch that got furthest, or one
  // summary when every branch failed at the union's own node.
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  const findings: SchemaFinding[] = [];
  for (const error of errors) {
    if (error.keyword === 'anyOf') continue;
    const union = unions.find((u) => error.schemaPath.startsWith(`${u.schemaPath}/`));
    if (union && error.instancePath === union.instancePath) continue;
    findings.push(findingFor(error));
  }
  for (const union of unions) {
    const deeper = errors.some((e) => e.keyword !== 'anyOf' && e.schemaPath.startsWith(`${union.schemaPath}/`) && e.instancePath !== union.instancePath);
    if (!deeper) findings.push(unionFinding(union, errors));
  }
  return findings;
}

function pathOf(instancePath: string): PathSegment[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function subject(path: readonly PathSegment[]): string {
  const last = path[path.length - 1];
  return last === undefined ? 'document' : typeof last === 'number' ? `item ${last}` : `"${last}"`;
}

function findingFor(error: ErrorObject): SchemaFinding {
  const path = pathOf(error.instancePath);
  const schema = error.parentSchema as { properties?: Record<string, unknown>; enum?: unknown[]; minimum?: number; maximum?: number } | undefined;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys(schema?.properties ?? {});
      const hint = known.length > 0 ? didYouMean(key, known) : '';
      return { code: 'unknown-key', severity: 'error', message: `unknown key "${key}"${hint || (known.length > 0 ? `; allowed: ${known.join(', ')}` : '')}`, path: [...path, key], at: 'key' };
    }
    case 'required':
      return { code: 'schema', severity: 'error', message: `${subject(path)} is missing required key "${String(params.missingProperty)}"`, path, at: 'key' };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const hint = typeof error.data === 'string' ? didYouMean(error.data, allowed) : '';
      return { code: 'schema', severity: 'error', message: `${subject(path)} must be one of: ${allowed.join(', ')}${hint}`, path, at: 'value' };
    }
    case 'const':
      return { code: 'schema', severity: 'error', message: `${subject(path)} must be ${JSON.stringify(params.allowedValue)}`, path, at: 'value' };
    case 'pattern':
      return { code: 'schema', severity: 'error', message: `${subject(path)} ${JSON.stringify(error.data)} ${patternHint(error)}`, path, at: 'value' };
    default:
      return { code: 'schema', severity: 'error', message: `${subject(path)} ${error.message ?? 'is invalid'}`, path, at: 'value' };
  }
}

function patternHint(error: ErrorObject): string {
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  return description ? `is not valid: ${description}` : `must match ${(error.params as { pattern: string }).pattern}`;
}

function unionFinding(union: ErrorObject, errors: readonly ErrorObject[]): SchemaFinding {
  const path = pathOf(union.instancePath);
  const expected = new Set<string>();
  for (const e of errors) {
    if (!e.schemaPath.startsWith(`${union.schemaPath}/`) || e.instancePath !== union.instancePath) continue;
    if (e.keyword === 'type') expected.add((e.params as { type: string }).type);
    if (e.keyword === 'required') expected.add(`a mapping with "${(e.params as { missingProperty: string }).missingProperty}"`);
    if (e.keyword === 'pattern' || e.keyword === 'enum' || e.keyword === 'const') expected.add(describeBranch(e));
  }
  const list = [...expected];
  const message = list.length > 0 ? `${subject(path)} must be ${list.join(' or ')}` : `${subject(path)} does not match any allowed form`;
  return { code: 'schema', severity: 'error', message, path, at: 'value' };
}

function describeBranch(e: ErrorObject): string {
  const description = (e.parentSchema as { description?: string } | undefined)?.description;
  return description ?? `a value that ${e.message ?? 'is valid'}`;
}
