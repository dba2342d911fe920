// Request bodies of the admin API, checked by hand so each problem reads as one plain sentence;
// every problem is reported at once.
import type { CreditOperation } from '@tollgate/engine';

export interface PlanBody {
  readonly plan: string | null;
}
export interface StatusBody {
  readonly status: string;
  readonly paidThrough?: number | null;
  readonly periodAnchor?: number | null;
}
export interface CreditBody {
  readonly amount: number;
  /** grant only: epoch ms at which what is left of the grant leaves the balance (`expiresAt`, RFC 3339 in the body). */
  readonly expiresAt?: number;
  /** refund only: the Idempotency-Key of the debit it gives back (`debit` in the body). */
  readonly debitKey?: string;
}

/** A request to explain for the account in the path (the `tollgate why` request line and options). */
export interface WhyBody {
  readonly method: string;
  readonly path: string;
  readonly host?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly credential?: string;
  /** The request body (an MCP route's JSON-RPC message), as the gateway would deliver it. */
  readonly body?: string;
}

export type BodyParse<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly string[] };

export const CREDIT_OPERATIONS: readonly CreditOperation[] = ['grant', 'debit', 'refund'];

export function parsePlanBody(value: unknown): BodyParse<PlanBody> {
  return checked(value, ['plan'], (body, errors) => {
    const { plan } = body;
    if (plan !== null && (typeof plan !== 'string' || plan === '')) errors.push('plan must be a plan name, or null to clear it');
    return { plan: plan as string | null };
  });
}

export function parseStatusBody(value: unknown): BodyParse<StatusBody> {
  return checked(value, ['status', 'paidThrough', 'periodAnchor'], (body, errors) => {
    if (typeof body.status !== 'string') errors.push('status must be a string');
    const instant = (name: 'paidThrough' | 'periodAnchor'): { [k: string]: number | null } => {
      const raw = body[name];
      if (raw === undefined) return {};
      if (raw === null) return { [name]: null };
      const ms = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : Number.NaN;
      if (Number.isNaN(ms)) {
        errors.push(`${name} must be an ISO 8601 instant (e.g. 2026-01-31T00:00:00Z) or null`);
        return {};
      }
      return { [name]: ms };
    };
    return { status: body.status as string, ...instant('paidThrough'), ...instant('periodAnchor') };
  });
}

/** RFC 3339 date-time: a date, `T`, a time, and a zone (`Z` or an offset); a fraction of a second allowed. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A credit change's body; `expiresAt` is accepted on grants only, `debit` on refunds only (`operation`). */
export function parseCreditBody(value: unknown, operation: CreditOperation): BodyParse<CreditBody> {
  return checked(value, ['amount', 'expiresAt', 'debit'], (body, errors) => {
    if (!Number.isSafeInteger(body.amount) || (body.amount as number) <= 0) errors.push('amount must be a positive integer');
    return { amount: body.amount as number, ...grantExpiry(body.expiresAt, operation, errors), ...refundedDebit(body.debit, operation, errors) };
  });
}

function grantExpiry(raw: unknown, operation: CreditOperation, errors: string[]): { expiresAt?: number } {
  if (raw === undefined) return {};
  if (operation !== 'grant') {
    errors.push(`expiresAt is for grants only: a ${operation} never expires`);
    return {};
  }
  const ms = typeof raw === 'string' && RFC3339.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms)) errors.push('expiresAt must be an RFC 3339 instant (e.g. 2026-01-31T00:00:00Z)');
  return { expiresAt: ms };
}

function refundedDebit(raw: unknown, operation: CreditOperation, errors: string[]): { debitKey?: string } {
  if (raw === undefined) return {};
  if (operation !== 'refund') errors.push(`debit is for refunds only: it names the debit a refund gives back`);
  else if (typeof raw !== 'string' || raw === '') errors.push('debit must be the Idempotency-Key the debit was sent with');
  return typeof raw === 'string' ? { debitKey: raw } : {};
}

export function parseWhyBody(value: unknown): BodyParse<WhyBody> {
  return checked(value, ['method', 'path', 'host', 'headers', 'credential', 'body'], (body, errors) => {
    const { method, path, host, headers, credential } = body;
    const requestBody = body.body;
    if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) errors.push('method must be an HTTP method such as GET');
    if (typeof path !== 'string' || !path.startsWith('/')) errors.push('path must be a string starting with "/"');
    if (host !== undefined && (typeof host !== 'string' || host === '')) errors.push('host must be a non-empty string');
    if (credential !== undefined && (typeof credential !== 'string' || credential === '')) errors.push('credential must be a non-empty string');
    if (requestBody !== undefined && typeof requestBody !== 'string') errors.push('body must be a string (the raw request body)');
    const headerValues = headers === undefined || typeof headers !== 'object' || headers === null || Array.isArray(headers) ? undefined : Object.values(headers);
    if (headers !== undefined && (headerValues === undefined || headerValues.some((v) => typeof v !== 'string'))) errors.push('headers must be an object of header names to string values');
    return {
      method: method as string,
      path: path as string,
      ...(host === undefined ? {} : { host: host as string }),
      ...(headers === undefined ? {} : { headers: headers as Record<string, string> }),
      ...(credential === undefined ? {} : { credential: credential as string }),
      ...(requestBody === undefined ? {} : { body: requestBody as string }),
    };
  });
}

function checked<T>(value: unknown, members: readonly string[], read: (body: Readonly<Record<string, unknown>>, errors: string[]) => T): BodyParse<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, errors: ['the body must be a JSON object'] };
  const body = value as Record<string, unknown>;
  const errors = Object.keys(body)
    .filter((name) => !members.includes(name))
    .map((name) => `unknown member "${name}" (allowed: ${members.join(', ')})`);
  const parsed = read(body, errors);
  return errors.length === 0 ? { ok: true, value: parsed } : { ok: false, errors };
}
