// The admin API over HTTP: the `tollgate account` operations for billing integrations and support
// tools. Every request but the health check needs `Authorization: Bearer <token>`; the token is
// compared in constant time. Errors are problem+json; credit operations need an Idempotency-Key.
// Given the policy's engine, it also explains a request for an account (`tollgate why`'s dry run,
// the same JSON as `why --json`), and reports an account's usage as it stands (the usage endpoint's
// report, via Engine.usage). The console page under /console/ loads without the token.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  AccountInputError,
  explainTrace,
  MAX_CREDITS,
  MAX_OPEN_GRANTS,
  StoreTimeoutError,
  whyFacts,
  withTimeout,
  type Accounts,
  type CreditOperation,
  type CreditResult,
  type Engine,
  type RequestFacts,
  type UsageReport,
} from '@tollgate/engine';
import { readBody } from '../http/body.js';
import { bearerCheck, MIN_TOKEN_LENGTH } from '../http/bearer.js';
import { createBoundedServer } from '../http/bounded-server.js';
import { isJson, type RequestHandler } from '../http/handler.js';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from '../http/idempotency-key.js';
import { bodyProblem, PROBLEMS, problemReply, sendJson, sendProblem, type ProblemReply } from '../http/problem.js';
import { silentLog, type Log } from '../log.js';
import { accountView } from './account-view.js';
import { parseCreditBody, parsePlanBody, parseStatusBody, parseWhyBody, type BodyParse } from './bodies.js';
import { loadConsoleFiles, sendConsole } from './console-files.js';
import { matchRoute, type Operation } from './routes.js';

export const ADMIN_TOKEN_ENV = 'TOLLGATE_ADMIN_TOKEN';
export const HEALTH_PATH = '/healthz';
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

export interface AdminOptions {
  readonly accounts: Accounts;
  /** The policy's engine on the same store: enables POST /v1/accounts/{account}/why and GET …/usage. */
  readonly engine?: Engine;
  /** The bearer token clients must present; at least MIN_TOKEN_LENGTH characters. */
  readonly token: string | undefined;
  /** Store calls slower than this answer 503. */
  readonly timeoutMs?: number;
  readonly maxBodyBytes?: number;
  readonly log?: Log;
}

/** The admin API was configured so it can't run safely; `problems` lists every reason. */
export class AdminConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

export function createAdminHandler(options: AdminOptions): RequestHandler {
  const { token } = options;
  if (token === undefined || token === '') throw new AdminConfigError([`no admin token: set ${ADMIN_TOKEN_ENV} (at least ${MIN_TOKEN_LENGTH} characters)`]);
  if (token.length < MIN_TOKEN_LENGTH) throw new AdminConfigError([`the admin token is too short: use at least ${MIN_TOKEN_LENGTH} characters`]);
  const authorised = bearerCheck(token);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.log ?? silentLog;
  const consoleFiles = loadConsoleFiles();

  return async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://admin.invalid');
    if (sendConsole(consoleFiles, req.method, pathname, res)) return;
    const reply = await answer(req, pathname);
    if (reply.kind === 'problem') sendProblem(res, reply.problem, reply.headers);
    else sendJson(res, 200, reply.body);
  };

  async function answer(req: IncomingMessage, pathname: string): Promise<Reply> {
    if (pathname === HEALTH_PATH && req.method === 'GET') return ok({ status: 'ok' });
    const authorization = req.headers.authorization;
    if (!authorised(authorization)) {
      // RFC 6750 §3: no credentials → a bare challenge; wrong ones → error="invalid_token".
      const challenge = authorization === undefined ? 'Bearer realm="tollgate-admin"' : 'Bearer realm="tollgate-admin", error="invalid_token"';
      return { ...problemReply(401, PROBLEMS.unauthorized, 'Unauthorized', `send Authorization: Bearer <the token in ${ADMIN_TOKEN_ENV}>`), headers: { 'www-authenticate': challenge } };
    }
    const match = matchRoute(req.method ?? 'GET', pathname);
    switch (match.kind) {
      case 'not-found':
        return problemReply(404, PROBLEMS.notFound, 'Not found', `no admin resource at ${pathname}`);
      case 'method-not-allowed':
        return { ...problemReply(405, PROBLEMS.methodNotAllowed, 'Method not allowed', `use ${match.allow} here`), headers: { allow: match.allow } };
      case 'bad-account':
        return problemReply(400, PROBLEMS.badRequest, 'Bad request', match.detail);
      case 'operation':
        return perform(match.operation, req).catch((error: unknown) => failure(error, match.operation, log));
    }
  }

  async function perform(operation: Operation, req: IncomingMessage): Promise<Reply> {
    const { accounts } = options;
    const run = <T>(promise: Promise<T>) => withTimeout(promise, timeoutMs);
    if (operation.kind === 'show') return ok(accountView(operation.account, await run(accounts.show(operation.account))));
    if (operation.kind === 'credits') {
      const key = parseIdempotencyKey(req.headers[IDEMPOTENCY_KEY_HEADER]);
      if (key.kind === 'missing') {
        return problemReply(400, PROBLEMS.idempotencyKeyMissing, 'Idempotency-Key required', `${operation.operation} needs an Idempotency-Key header: a retry with the same key never applies twice`);
      }
      if (key.kind === 'invalid') return problemReply(400, PROBLEMS.badRequest, 'Bad request', key.detail);
      const body = await jsonBody(req, (value) => parseCreditBody(value, operation.operation));
      if (body.kind === 'problem') return body;
      const { amount, ...terms } = body.value;
      const result = await run(accounts.changeCredits(operation.account, operation.operation, amount, key.key, terms));
      return creditReply(operation.account, operation.operation, result.kind, result.balance);
    }
    if (operation.kind === 'usage' || operation.kind === 'why') {
      const { engine } = options;
      if (engine === undefined) return problemReply(404, PROBLEMS.notFound, 'Not found', `this admin server has no policy to ${operation.kind === 'why' ? 'explain' : 'read usage'} with: start it with --policies <dir> --policy <name>`);
      if (operation.kind === 'usage') return usageReply(operation.account, await run(engine.usage(accountFacts(operation.account, engine))));
      const body = await jsonBody(req, parseWhyBody);
      if (body.kind === 'problem') return body;
      return ok(explainTrace(await run(engine.explain(whyFacts({ account: operation.account, ...body.value }, engine.config)))));
    }
    if (operation.kind === 'set-plan') {
      const body = await jsonBody(req, parsePlanBody);
      if (body.kind === 'problem') return body;
      return ok(accountView(operation.account, await run(accounts.setPlan(operation.account, body.value.plan))));
    }
    const body = await jsonBody(req, parseStatusBody);
    if (body.kind === 'problem') return body;
    const { status, ...times } = body.value;
    return ok(accountView(operation.account, await run(accounts.setStatus(operation.account, status, times))));
  }

  async function jsonBody<T>(req: IncomingMessage, parse: (value: unknown) => BodyParse<T>): Promise<{ readonly kind: 'body'; readonly value: T } | ProblemReply> {
    if (!isJson(req.headers['content-type'])) return problemReply(415, PROBLEMS.unsupportedMediaType, 'Unsupported media type', 'send the body as application/json');
    const read = await readBody(req, maxBodyBytes);
    if (!read.ok) return bodyProblem(read.status, read.detail);
    let value: unknown;
    try {
      value = JSON.parse(read.bytes.toString('utf8'));
    } catch {
      return problemReply(400, PROBLEMS.badRequest, 'Bad request', 'the body is not valid JSON');
    }
    const parsed = parse(value);
    if (!parsed.ok) return problemReply(400, PROBLEMS.badRequest, 'Bad request', parsed.errors.join('; '), { errors: parsed.errors });
    return { kind: 'body', value: parsed.value };
  }
}

/** The admin handler on its own server (loopback by default in the CLI). */
export function createAdminServer(options: AdminOptions): Server {
  const handler = createAdminHandler(options);
  return createBoundedServer((req: IncomingMessage, res: ServerResponse) => void handler(req, res));
}

type Reply = { readonly kind: 'ok'; readonly body: unknown } | ProblemReply;

function ok(body: unknown): Reply {
  return { kind: 'ok', body };
}

/** The facts that identify the account as the why endpoint's do; usage does not depend on the request. */
function accountFacts(account: string, engine: Engine): RequestFacts {
  return whyFacts({ account, method: 'GET', path: '/' }, engine.config);
}

function usageReply(account: string, report: UsageReport | undefined): Reply {
  if (report !== undefined) return ok(report);
  return problemReply(400, PROBLEMS.badRequest, 'Bad request', `the account ${account} is not one the policy's identity yields, so it has no usage`);
}

function creditReply(account: string, operation: CreditOperation, kind: CreditResult['kind'], balance: number): Reply {
  switch (kind) {
    case 'applied':
    case 'duplicate':
      return ok({ account, operation, result: kind, balance });
    case 'conflict':
      // The draft's answer to a key reused with a different payload.
      return problemReply(422, PROBLEMS.idempotencyKeyReused, 'Idempotency-Key reused', 'this key was already used for a different operation or amount; nothing changed', { balance });
    case 'insufficient':
      return problemReply(409, PROBLEMS.insufficientCredits, 'Insufficient credits', `the balance ${balance} is below the amount; nothing changed`, { balance });
    case 'out-of-range':
      return problemReply(422, PROBLEMS.balanceOutOfRange, 'Balance out of range', `the balance ${balance} plus the amount would pass ${MAX_CREDITS}, the largest balance kept exactly; nothing changed`, { balance });
    case 'no-such-debit':
      return problemReply(422, PROBLEMS.noSuchDebit, 'No such debit', 'no debit of this account was sent with that Idempotency-Key (or it was longer ago than the keys are kept); nothing changed', { balance });
    case 'too-many-grants':
      return problemReply(422, PROBLEMS.tooManyGrants, 'Too many grants', `the account already has ${MAX_OPEN_GRANTS} open expiring grants, none expiring then; nothing changed (grant with an expiry it has, or without one)`, { balance });
  }
}

function failure(error: unknown, operation: Operation, log: Log): Reply {
  if (error instanceof AccountInputError) return problemReply(400, PROBLEMS.badRequest, 'Bad request', error.message);
  const message = error instanceof Error ? error.message : String(error);
  log({ level: 'error', message: `admin ${operation.kind} failed: ${message}`, account: operation.account });
  if (error instanceof StoreTimeoutError) return problemReply(503, PROBLEMS.storeUnavailable, 'Store unavailable', 'the account store did not answer in time; retry');
  return problemReply(503, PROBLEMS.storeUnavailable, 'Store unavailable', 'the account store failed; retry');
}
