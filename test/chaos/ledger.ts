// The chaos suite's books: what the answers say was consumed (tally), what Redis holds after the
// run (readLedger), and every difference between the two (violations). The invariant is in
// README.md and at the top of chaos.test.ts.
import type { Redis } from 'ioredis';
import type { Accounts } from '../../packages/engine/src/index.js';
import { keyBase, paymentKey } from '../../packages/engine/src/store/redis/keys.js';
import { ANONYMOUS, CONSUMERS, KEY_PREFIX, PAYMENTS_PER_RUN, QUOTA_REQUESTS, ROUTES, type Answer, type ChaosRequest, type Workload } from './scenario.js';

/** Every account a request of the run names: the consumers and the anonymous consumer. */
export const ACCOUNTS: readonly string[] = [...CONSUMERS, ANONYMOUS];

export interface Tally {
  /** Per account: answers allowed by the plan (not paid), and the credits they cost. */
  readonly allowedByPlan: ReadonlyMap<string, { readonly count: number; readonly cost: number }>;
  /** Per payment: answers allowed because it paid. */
  readonly allowedByPayment: readonly number[];
  /** Answers by status, for the report. */
  readonly statuses: Readonly<Record<string, number>>;
}

export function tally(work: Workload, answers: readonly Answer[]): Tally {
  const requests = new Map<number, ChaosRequest>(work.lanes.flat().map((r) => [r.id, r]));
  const allowedByPlan = new Map(ACCOUNTS.map((a) => [a, { count: 0, cost: 0 }]));
  const allowedByPayment = Array.from({ length: PAYMENTS_PER_RUN }, () => 0);
  const statuses: Record<string, number> = {};
  for (const answer of answers) {
    const request = requests.get(answer.id);
    if (request === undefined) throw new Error(`an answer to request ${answer.id}, which was never sent`);
    const label = answer.paid ? '200 paid' : `${answer.status} ${answer.reason}`;
    statuses[label] = (statuses[label] ?? 0) + 1;
    if (!answer.allowed) continue;
    if (answer.paid) {
      if (request.payment === undefined) throw new Error(`request ${answer.id} was allowed as paid but carried no payment`);
      allowedByPayment[request.payment] = (allowedByPayment[request.payment] ?? 0) + 1;
      continue;
    }
    const used = allowedByPlan.get(request.consumer);
    if (used === undefined) throw new Error(`request ${answer.id} names an unknown consumer ${request.consumer}`);
    allowedByPlan.set(request.consumer, { count: used.count + 1, cost: used.cost + (ROUTES[request.route]?.cost ?? NaN) });
  }
  return { allowedByPlan, allowedByPayment, statuses };
}

export interface Ledger {
  readonly credits: ReadonlyMap<string, number>;
  /** Per account: the sum of its quota counters (every billing period's). */
  readonly quotaUsed: ReadonlyMap<string, number>;
  /** Every payment claim key in the store. */
  readonly claims: ReadonlySet<string>;
}

/** Keys matching `pattern` on one server. */
async function scan(node: Redis, pattern: string): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    for (const key of batch) keys.add(key);
    cursor = next;
  } while (cursor !== '0');
  return [...keys];
}

/**
 * The reading store's own connection is a normal client too: a fault's CLIENT KILL may have left it
 * between reconnection attempts, where the store fails fast (as it must for decisions). The faults
 * have stopped by now, so the read is tried again until the connection is back (at most ~5 s).
 */
async function whenReconnected<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Reads every server (each Cluster master answers for the keys it owns). */
export async function readLedger(nodes: readonly Redis[], accounts: Accounts): Promise<Ledger> {
  const credits = new Map<string, number>();
  const quotaUsed = new Map<string, number>();
  for (const account of ACCOUNTS) {
    credits.set(account, (await whenReconnected(() => accounts.show(account))).credits);
    let used = 0;
    for (const node of nodes) {
      // One account's keys share a Cluster slot, so one MGET reads them.
      const keys = await scan(node, `${keyBase(KEY_PREFIX, account)}q:*`);
      for (const value of keys.length === 0 ? [] : await node.mget(keys)) used += Number(value);
    }
    quotaUsed.set(account, used);
  }
  const claims = new Set<string>();
  for (const node of nodes) for (const key of await scan(node, `${KEY_PREFIX}{x402:*}:p`)) claims.add(key);
  return { credits, quotaUsed, claims };
}

/** Each way the store disagrees with the answers; empty when the invariant holds. `replayKeys[i]` is payment i's replay key. */
export function violations(work: Workload, books: Tally, ledger: Ledger, replayKeys: readonly string[]): string[] {
  const found: string[] = [];
  for (const account of ACCOUNTS) {
    const granted = work.credits[account] ?? 0;
    const allowed = books.allowedByPlan.get(account) ?? { count: 0, cost: 0 };
    const drawn = granted - (ledger.credits.get(account) ?? NaN);
    const counted = ledger.quotaUsed.get(account) ?? NaN;
    if (drawn !== allowed.cost) found.push(`${account}: ${drawn} credits drawn, but the ${allowed.count} allowed answers cost ${allowed.cost}`);
    if (counted !== allowed.count) found.push(`${account}: quota counter ${counted}, but ${allowed.count} answers were allowed`);
    if (allowed.count > QUOTA_REQUESTS) found.push(`${account}: ${allowed.count} allowed answers, beyond the quota of ${QUOTA_REQUESTS}`);
    if (allowed.cost > granted) found.push(`${account}: allowed answers cost ${allowed.cost}, beyond the ${granted} credits granted`);
  }
  const known = new Set<string>();
  for (const [i, replayKey] of replayKeys.entries()) {
    const key = paymentKey(KEY_PREFIX, replayKey);
    known.add(key);
    const allowed = books.allowedByPayment[i] ?? 0;
    if (allowed > 1) found.push(`payment ${i}: ${allowed} answers allowed by it`);
    if (ledger.claims.has(key) !== allowed > 0) found.push(`payment ${i}: ${ledger.claims.has(key) ? 'claimed' : 'not claimed'}, but ${allowed} answers allowed by it`);
  }
  const unknown = [...ledger.claims].filter((key) => !known.has(key));
  if (unknown.length > 0) found.push(`claims of no payment of this run: ${unknown.join(', ')}`);
  return found;
}
