// The admin API's resources, as a pure match from method and path to an operation:
//   GET  /v1/accounts/{account}
//   PUT  /v1/accounts/{account}/plan                      {"plan": "pro" | null}
//   PUT  /v1/accounts/{account}/status                    {"status", "paidThrough"?, "periodAnchor"?}
//   POST /v1/accounts/{account}/credits/{grant|debit|refund}  {"amount"} + Idempotency-Key
//   GET  /v1/accounts/{account}/usage
//   POST /v1/accounts/{account}/why                       {"method", "path", "host"?, "headers"?, "credential"?}
import type { CreditOperation } from '@tollgate/engine';
import { CREDIT_OPERATIONS } from './bodies.js';

export const ADMIN_BASE_PATH = '/v1/accounts/';
const MAX_ACCOUNT_LENGTH = 512;

export type Operation =
  | { readonly kind: 'show'; readonly account: string }
  | { readonly kind: 'set-plan'; readonly account: string }
  | { readonly kind: 'set-status'; readonly account: string }
  | { readonly kind: 'usage'; readonly account: string }
  | { readonly kind: 'why'; readonly account: string }
  | { readonly kind: 'credits'; readonly account: string; readonly operation: CreditOperation };

export type RouteMatch =
  | { readonly kind: 'operation'; readonly operation: Operation }
  | { readonly kind: 'method-not-allowed'; readonly allow: string }
  | { readonly kind: 'bad-account'; readonly detail: string }
  | { readonly kind: 'not-found' };

export function matchRoute(method: string, pathname: string): RouteMatch {
  if (!pathname.startsWith(ADMIN_BASE_PATH)) return { kind: 'not-found' };
  const [encoded = '', ...rest] = pathname.slice(ADMIN_BASE_PATH.length).split('/');
  if (encoded === '') return { kind: 'not-found' };
  let account: string;
  try {
    account = decodeURIComponent(encoded);
  } catch {
    return { kind: 'bad-account', detail: 'the account in the path is not valid percent-encoding' };
  }
  if (account.length > MAX_ACCOUNT_LENGTH) return { kind: 'bad-account', detail: `an account id has at most ${MAX_ACCOUNT_LENGTH} characters` };

  const only = (allowed: string, operation: Operation): RouteMatch =>
    method === allowed ? { kind: 'operation', operation } : { kind: 'method-not-allowed', allow: allowed };
  const [resource, operation, extra] = rest;
  if (resource === undefined) return only('GET', { kind: 'show', account });
  if (resource === 'plan' && operation === undefined) return only('PUT', { kind: 'set-plan', account });
  if (resource === 'status' && operation === undefined) return only('PUT', { kind: 'set-status', account });
  if (resource === 'usage' && operation === undefined) return only('GET', { kind: 'usage', account });
  if (resource === 'why' && operation === undefined) return only('POST', { kind: 'why', account });
  if (resource === 'credits' && extra === undefined && isCreditOperation(operation)) return only('POST', { kind: 'credits', account, operation });
  return { kind: 'not-found' };
}

function isCreditOperation(value: string | undefined): value is CreditOperation {
  return (CREDIT_OPERATIONS as readonly (string | undefined)[]).includes(value);
}
