// Conformance vectors: gateway-neutral data files (test/vectors/*.yaml), each a policy, an initial
// account state, a clock and a sequence of steps with what must come back. The engine test runs
// them against every store; the Kong plugin and APISIX runner harnesses send the same requests
// through their gateways and compare with `compareResponse`.
//
// Format (see test/vectors/README.md):
//   name, description
//   clock: ISO instant of the first step
//   config: EngineConfig members, shallow-merged over BASE_CONFIG
//   store: unreachable        (optional: the store is down for the whole vector)
//   accounts: { <account>: { plan, status, paidThrough (ISO), periodAnchor (ISO), credits } }
//   steps: [ { advance?: ms | at?: ISO, repeat?: n, request | op, upstreamStatus?, expect, state? } ]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Accounts, EngineConfig, RequestFacts, Store } from '../../packages/engine/src/index.js';

export const VECTORS_DIR = fileURLToPath(new URL('../vectors/', import.meta.url));

export const BASE_CONFIG: EngineConfig = {
  version: 1,
  policy: 'vectors',
  routes: [
    { name: 'forecast', paths: ['/v1/forecast'], methods: ['GET'] },
    { name: 'history', paths: ['/v1/history'], methods: ['GET', 'POST'] },
    { name: 'admin', paths: ['/v1/admin'] },
  ],
  identity: { auth: 'key-auth', limitBy: 'consumer' },
  plans: [],
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
};

/** A request in gateway terms: what a test client sends and what the gateway's auth decided. */
export interface VectorRequest {
  readonly method: string;
  readonly path: string;
  readonly host?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly ip?: string;
  /**
   * The consumer's username key-auth resolved. A request without one on a key-auth policy with
   * anonymous callers gets the anonymous consumer (loadVector fills it in), as both gateways do.
   */
  readonly consumer?: string;
  /** The credential (key) id the consumer authenticated with. */
  readonly credential?: string;
  readonly requestId?: string;
}

export interface VectorAccount {
  readonly plan?: string;
  readonly status?: string;
  readonly paidThrough?: number;
  readonly periodAnchor?: number;
  readonly credits?: number;
}

export type VectorOp =
  | { readonly kind: 'set-plan'; readonly account: string; readonly plan: string | null }
  | { readonly kind: 'set-status'; readonly account: string; readonly status: string; readonly paidThrough?: number }
  | { readonly kind: 'grant' | 'debit' | 'refund'; readonly account: string; readonly amount: number; readonly key?: string };

/** Expected response: exact status; headers by name (case-insensitive), `null` = absent; body members (subset, deep). */
export interface ExpectedResponse {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string | null>>;
  readonly body?: Readonly<Record<string, unknown>>;
  /** The x402 v2 challenge decoded from PAYMENT-REQUIRED (subset, deep). */
  readonly paymentRequired?: Readonly<Record<string, unknown>>;
  /** What the upstream must receive: headers set (null = removed) and query arguments (null = removed), path. */
  readonly upstream?: { readonly headers?: Readonly<Record<string, string | null>>; readonly query?: Readonly<Record<string, string | null>>; readonly path?: string };
  /** Account operations: the result kind and balance. */
  readonly result?: string;
  readonly balance?: number;
}

export interface VectorStep {
  /** Ms to move the clock before this step. */
  readonly advance: number;
  readonly repeat: number;
  readonly request?: VectorRequest;
  readonly op?: VectorOp;
  /** For `chargeOn: success`: the status the upstream answers (default 200). */
  readonly upstreamStatus: number;
  readonly expect: ExpectedResponse;
  /** Account members after the step (subset). */
  readonly state?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Position for failure messages: `file step N`. */
  readonly where: string;
}

export interface Vector {
  readonly file: string;
  readonly name: string;
  readonly description: string;
  readonly start: number;
  readonly config: EngineConfig;
  readonly storeUnreachable: boolean;
  readonly accounts: Readonly<Record<string, VectorAccount>>;
  readonly steps: readonly VectorStep[];
}

export function loadVectors(dir: string = VECTORS_DIR): Vector[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => loadVector(join(dir, file), file));
}

export function loadVector(path: string, file: string): Vector {
  const raw = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const fail = (message: string): never => {
    throw new Error(`${file}: ${message}`);
  };
  const name = typeof raw.name === 'string' ? raw.name : fail('name is required');
  const start = instant(raw.clock, `${file}: clock`);
  const config = { ...BASE_CONFIG, ...(raw.config as Partial<EngineConfig> | undefined) } as EngineConfig;
  const accounts = Object.fromEntries(
    Object.entries((raw.accounts ?? {}) as Record<string, Record<string, unknown>>).map(([id, a]) => [
      id,
      {
        ...(a.plan === undefined ? {} : { plan: text(a.plan, `${file}: ${id}.plan`) }),
        ...(a.status === undefined ? {} : { status: text(a.status, `${file}: ${id}.status`) }),
        ...(a.paidThrough === undefined ? {} : { paidThrough: instant(a.paidThrough, `${file}: ${id}.paidThrough`) }),
        ...(a.periodAnchor === undefined ? {} : { periodAnchor: instant(a.periodAnchor, `${file}: ${id}.periodAnchor`) }),
        ...(a.credits === undefined ? {} : { credits: Number(a.credits) }),
      },
    ]),
  );
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) fail('steps must be a non-empty list');
  const delivered = asDelivered(config, file);
  let clock = start;
  const steps = (raw.steps as Record<string, unknown>[]).map((s, i): VectorStep => {
    const where = `${file} step ${i + 1}`;
    let advance = typeof s.advance === 'number' ? s.advance : 0;
    if (s.at !== undefined) advance = instant(s.at, where) - clock;
    if (advance < 0) throw new Error(`${where}: the clock cannot go back`);
    clock += advance;
    if ((s.request === undefined) === (s.op === undefined)) throw new Error(`${where}: needs exactly one of request, op`);
    return {
      advance,
      repeat: typeof s.repeat === 'number' ? s.repeat : 1,
      ...(s.request === undefined ? {} : { request: delivered(s.request as VectorRequest) }),
      ...(s.op === undefined ? {} : { op: parseOp(s.op as Record<string, unknown>, where) }),
      upstreamStatus: typeof s.upstreamStatus === 'number' ? s.upstreamStatus : 200,
      expect: (s.expect ?? {}),
      ...(s.state === undefined ? {} : { state: s.state as VectorStep['state'] }),
      where,
    };
  });
  return { file, name, description: raw.description === undefined ? '' : text(raw.description, `${file}: description`), start, config, storeUnreachable: raw.store === 'unreachable', accounts, steps };
}

/**
 * What the compiled gateway configuration hands the plugin for a vector request: with key-auth and
 * anonymous callers, a caller without a key continues as the anonymous consumer (Kong: key-auth
 * `anonymous`, kong.client.get_consumer() is that consumer and there is no credential; APISIX:
 * key-auth `anonymous_consumer` sets consumer_name), never as no consumer.
 */
function asDelivered(config: EngineConfig, file: string): (request: VectorRequest) => VectorRequest {
  const { auth, anonymous, anonymousConsumer } = config.identity;
  if (auth !== 'key-auth' || anonymous !== true) return (request) => request;
  if (anonymousConsumer === undefined) throw new Error(`${file}: key-auth with anonymous: true needs identity.anonymousConsumer, as the compiler writes it`);
  return (request) => (request.consumer === undefined ? { ...request, consumer: anonymousConsumer } : request);
}

function parseOp(op: Record<string, unknown>, where: string): VectorOp {
  const entries = Object.entries(op);
  const [kind, args] = entries[0] ?? [];
  if (entries.length !== 1 || typeof args !== 'object' || args === null) throw new Error(`${where}: op must be { <kind>: {…} }`);
  const a = args as Record<string, unknown>;
  const account = text(a.account, `${where}: account`);
  switch (kind) {
    case 'set-plan':
      return { kind, account, plan: a.plan === null ? null : text(a.plan, `${where}: plan`) };
    case 'set-status':
      return { kind, account, status: text(a.status, `${where}: status`), ...(a.paidThrough === undefined ? {} : { paidThrough: instant(a.paidThrough, where) }) };
    case 'grant':
    case 'debit':
    case 'refund':
      return { kind, account, amount: Number(a.amount), ...(a.key === undefined ? {} : { key: text(a.key, `${where}: key`) }) };
    default:
      throw new Error(`${where}: unknown op ${String(kind)}`);
  }
}

function text(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new Error(`${where}: expected a string`);
}

function instant(value: unknown, where: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new Error(`${where}: expected an ISO instant, got ${String(value)}`);
  return ms;
}

/** The engine facts an adapter would produce for this request. */
export function factsOf(request: VectorRequest): RequestFacts {
  const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: request.method,
    path: request.path,
    ...(request.host === undefined ? {} : { host: request.host }),
    headers,
    query: request.query ?? {},
    clientIp: request.ip ?? '203.0.113.7',
    ...(request.consumer === undefined ? {} : { consumer: { username: request.consumer } }),
    ...(request.credential === undefined ? {} : { credentialId: request.credential }),
    ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
  };
}

/** A response as a gateway harness observed it. */
export interface ObservedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** What the upstream received, when the request was proxied. */
  readonly upstream?: { readonly headers: Readonly<Record<string, string>>; readonly query: Readonly<Record<string, string>>; readonly path: string };
}

/** Every difference between what a step expects and what was observed; empty when they match. */
export function compareResponse(expect: ExpectedResponse, observed: ObservedResponse): string[] {
  const problems: string[] = [];
  if (expect.status !== undefined && expect.status !== observed.status) problems.push(`status ${observed.status}, expected ${expect.status}`);
  const headers = lowerKeys(observed.headers);
  for (const [name, value] of Object.entries(expect.headers ?? {})) {
    const actual = headers[name.toLowerCase()];
    if (value === null ? actual !== undefined : actual !== value) problems.push(`header ${name}: ${show(actual)}, expected ${show(value)}`);
  }
  if (expect.body !== undefined) {
    let body: unknown;
    try {
      body = JSON.parse(observed.body);
    } catch {
      body = undefined;
    }
    problems.push(...subsetProblems('body', expect.body, body));
  }
  if (expect.paymentRequired !== undefined) {
    const header = headers['payment-required'];
    const decoded: unknown = header === undefined ? undefined : JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
    problems.push(...subsetProblems('PAYMENT-REQUIRED', expect.paymentRequired, decoded));
  }
  if (expect.upstream !== undefined) {
    const up = observed.upstream;
    if (up === undefined) {
      problems.push('the request was not proxied');
    } else {
      const upHeaders = lowerKeys(up.headers);
      for (const [name, value] of Object.entries(expect.upstream.headers ?? {})) {
        const actual = upHeaders[name.toLowerCase()];
        if (value === null ? actual !== undefined : actual !== value) problems.push(`upstream header ${name}: ${show(actual)}, expected ${show(value)}`);
      }
      for (const [name, value] of Object.entries(expect.upstream.query ?? {})) {
        const actual = up.query[name];
        if (value === null ? actual !== undefined : actual !== value) problems.push(`upstream query ${name}: ${show(actual)}, expected ${show(value)}`);
      }
      if (expect.upstream.path !== undefined && expect.upstream.path !== up.path) problems.push(`upstream path ${up.path}, expected ${expect.upstream.path}`);
    }
  }
  return problems;
}

/** `expected` members must be present in `actual` with equal values (objects compared as subsets, arrays exactly). */
export function subsetProblems(where: string, expected: unknown, actual: unknown): string[] {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${where}: ${show(actual)}, expected an object`];
    return Object.entries(expected).flatMap(([k, v]) =>
      v === null ? ((actual as Record<string, unknown>)[k] === undefined ? [] : [`${where}.${k}: present, expected absent`]) : subsetProblems(`${where}.${k}`, v, (actual as Record<string, unknown>)[k]),
    );
  }
  return JSON.stringify(expected) === JSON.stringify(actual) ? [] : [`${where}: ${show(actual)}, expected ${show(expected)}`];
}

function lowerKeys(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
}

function show(value: unknown): string {
  return value === undefined ? 'absent' : JSON.stringify(value);
}

/** Seeds a vector's initial accounts into a store, as billing integrations would set them. */
export async function seedAccounts(vector: Vector, store: Store, accounts: Accounts): Promise<void> {
  for (const [id, account] of Object.entries(vector.accounts)) {
    if (account.plan !== undefined) await accounts.setPlan(id, account.plan);
    if (account.status !== undefined) await accounts.setStatus(id, account.status, account.paidThrough === undefined ? {} : { paidThrough: account.paidThrough });
    if (account.periodAnchor !== undefined) await store.updateAccount(id, { periodAnchor: account.periodAnchor });
    if (account.credits !== undefined && account.credits > 0) await accounts.changeCredits(id, 'grant', account.credits);
  }
}

/** Runs a step's account operation; returns how the outcome differs from what the step expects. */
export async function applyOperation(step: VectorStep, accounts: Accounts): Promise<string[]> {
  const op = step.op;
  if (op === undefined) return ['not an operation step'];
  const outcome =
    op.kind === 'set-plan'
      ? { kind: 'applied', balance: (await accounts.setPlan(op.account, op.plan)).credits }
      : op.kind === 'set-status'
        ? { kind: 'applied', balance: (await accounts.setStatus(op.account, op.status, op.paidThrough === undefined ? {} : { paidThrough: op.paidThrough })).credits }
        : await accounts.changeCredits(op.account, op.kind, op.amount, op.key);
  return [
    ...(step.expect.result === undefined || step.expect.result === outcome.kind ? [] : [`result ${outcome.kind}, expected ${step.expect.result}`]),
    ...(step.expect.balance === undefined || step.expect.balance === outcome.balance ? [] : [`balance ${outcome.balance}, expected ${step.expect.balance}`]),
  ];
}
