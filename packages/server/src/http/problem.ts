// Every error answer is RFC 9457 problem+json with a stable type URI; successes are plain JSON.
import type { ServerResponse } from 'node:http';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const SERVER_PROBLEM_BASE_URI = 'https://tollgate.dev/problems/server/';

/** Problem types of the admin API and the webhook endpoint (the last URI segment). */
export const PROBLEMS = {
  badRequest: 'bad-request',
  unauthorized: 'unauthorized',
  notFound: 'not-found',
  methodNotAllowed: 'method-not-allowed',
  unsupportedMediaType: 'unsupported-media-type',
  tooLarge: 'request-too-large',
  invalidSignature: 'invalid-signature',
  idempotencyKeyMissing: 'idempotency-key-missing',
  idempotencyKeyReused: 'idempotency-key-reused',
  insufficientCredits: 'insufficient-credits',
  balanceOutOfRange: 'balance-out-of-range',
  tooManyGrants: 'too-many-grants',
  noSuchDebit: 'no-such-debit',
  storeUnavailable: 'store-unavailable',
  internal: 'internal-error',
} as const;
export type ProblemType = (typeof PROBLEMS)[keyof typeof PROBLEMS];

export interface Problem {
  readonly status: number;
  readonly type: ProblemType;
  readonly title: string;
  readonly detail: string;
  /** Extension members (RFC 9457 §3.2), e.g. `errors` or `balance`. */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** An error answer as a value, with any headers it needs (e.g. WWW-Authenticate, Allow). */
export interface ProblemReply {
  readonly kind: 'problem';
  readonly problem: Problem;
  readonly headers?: Readonly<Record<string, string>>;
}

export function problemReply(status: number, type: ProblemType, title: string, detail: string, extensions?: Problem['extensions']): ProblemReply {
  return { kind: 'problem', problem: { status, type, title, detail, ...(extensions === undefined ? {} : { extensions }) } };
}

/** A failed body read as a problem (400, or 413 closing the connection rather than reading on). */
export function bodyProblem(status: 400 | 413, detail: string): ProblemReply {
  return status === 413 ? { ...problemReply(413, PROBLEMS.tooLarge, 'Request too large', detail), headers: { connection: 'close' } } : problemReply(400, PROBLEMS.badRequest, 'Bad request', detail);
}

export function sendProblem(res: ServerResponse, problem: Problem, headers: Readonly<Record<string, string>> = {}): void {
  const body = {
    type: `${SERVER_PROBLEM_BASE_URI}${problem.type}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    ...problem.extensions,
  };
  send(res, problem.status, PROBLEM_CONTENT_TYPE, body, headers);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  send(res, status, 'application/json', body, headers);
}

function send(res: ServerResponse, status: number, contentType: string, body: unknown, headers: Readonly<Record<string, string>>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
