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
//   steps: [ { advance?: ms | at?: ISO, repeat?: n, request | op, upstreamStatus? | upstream?: { status?, headers?, body? }, expect, state? } ]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  applyOperation as applyAccountOperation,
  compareResponse as compareObserved,
  REASONS,
  seedAccounts as seedAccountState,
  subsetMismatches,
  type AccountOperation,
  type AccountSeed,
  type Accounts,
  type EngineConfig,
  type ExpectedResponse,
  type ObservedResponse,
  type ReasonCode,
  type ScenarioRequest,
  type Store,
} from '../../packages/engine/src/index.js';

// The request, expectation and comparison are the product's (`tollgate test` plays scenarios with them).
export { factsOf } from '../../packages/engine/src/index.js';
export type { ExpectedResponse, ObservedResponse } from '../../packages/engine/src/index.js';

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
export type VectorRequest = ScenarioRequest;

export type VectorAccount = AccountSeed;

export type VectorOp = AccountOperation;


export interface VectorStep {
  /** Ms to move the clock before this step. */
  readonly advance: number;
  readonly repeat: number;
  readonly request?: VectorRequest;
  readonly op?: VectorOp;
  /** For `chargeOn: success`: the status the upstream answers (default 200). */
  readonly upstreamStatus: number;
  /** What else the upstream answers (`upstream: { headers, body }`): a metered route reads its cost from it. */
  readonly upstreamResponse?: UpstreamResponse;
  readonly expect: ExpectedResponse;
  /** Account members after the step (subset). */
  readonly state?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Position for failure messages: `file step N`. */
  readonly where: string;
}

export interface UpstreamResponse {
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
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
    const { status, ...response } = upstreamOf(s.upstream, where);
    if (status !== undefined && s.upstreamStatus !== undefined) throw new Error(`${where}: give the upstream status once (upstreamStatus or upstream.status)`);
    return {
      advance,
      repeat: typeof s.repeat === 'number' ? s.repeat : 1,
      ...(s.request === undefined ? {} : { request: delivered(s.request as VectorRequest) }),
      ...(s.op === undefined ? {} : { op: parseOp(s.op as Record<string, unknown>, where) }),
      upstreamStatus: status ?? (typeof s.upstreamStatus === 'number' ? s.upstreamStatus : 200),
      ...(s.upstream === undefined ? {} : { upstreamResponse: response }),
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

function upstreamOf(value: unknown, where: string): UpstreamResponse & { readonly status?: number } {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) throw new Error(`${where}: upstream must be { status?, headers?, body? }`);
  const { status, headers, body, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new Error(`${where}: upstream has unknown members ${Object.keys(rest).join(', ')}`);
  if (status !== undefined && typeof status !== 'number') throw new Error(`${where}: upstream.status must be a number`);
  if (body !== undefined && typeof body !== 'string') throw new Error(`${where}: upstream.body must be a string`);
  const named = Object.entries((headers ?? {}) as Record<string, unknown>).map(([k, v]) => [k, text(v, `${where}: upstream.headers.${k}`)] as const);
  return { ...(status === undefined ? {} : { status }), ...(headers === undefined ? {} : { headers: Object.fromEntries(named) }), ...(body === undefined ? {} : { body }) };
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
      return {
        kind,
        account,
        amount: Number(a.amount),
        ...(a.key === undefined ? {} : { key: text(a.key, `${where}: key`) }),
        ...(a.expiresAt === undefined ? {} : { expiresAt: instant(a.expiresAt, `${where}: expiresAt`) }),
        ...(a.debit === undefined ? {} : { debitKey: text(a.debit, `${where}: debit`) }),
      };
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

/**
 * Every difference between what a step expects and what was observed; empty when they match. A
 * response that came through a gateway carries no reason code: the client reads it from the
 * problem body's `type`, whose last segment it is (whatever the policy's problem base URI).
 */
export function compareResponse(expect: ExpectedResponse, observed: ObservedResponse): string[] {
  const reason = observed.reason ?? reasonOf(observed.body);
  return compareObserved(expect, reason === undefined ? observed : { ...observed, reason }).map((m) => m.message);
}

function reasonOf(body: string): ReasonCode | undefined {
  let problem: unknown;
  try {
    problem = JSON.parse(body);
  } catch {
    return undefined;
  }
  const type = typeof problem === 'object' && problem !== null ? (problem as { type?: unknown }).type : undefined;
  const code = typeof type === 'string' ? type.slice(type.lastIndexOf('/') + 1) : undefined;
  return code !== undefined && code in REASONS ? (code as ReasonCode) : undefined;
}

/** `expected` members must be present in `actual` with equal values (objects compared as subsets, arrays exactly). */
export function subsetProblems(where: string, expected: unknown, actual: unknown): string[] {
  return subsetMismatches([where], expected, actual).map((m) => m.message);
}

/** Seeds a vector's initial accounts into a store, as billing integrations would set them. */
export async function seedAccounts(vector: Vector, store: Store, accounts: Accounts): Promise<void> {
  await seedAccountState(vector.accounts, store, accounts);
}

/** Runs a step's account operation; returns how the outcome differs from what the step expects. */
export async function applyOperation(step: VectorStep, accounts: Accounts): Promise<string[]> {
  if (step.op === undefined) return ['not an operation step'];
  return (await applyAccountOperation(step.op, step.expect, accounts)).map((m) => m.message);
}
