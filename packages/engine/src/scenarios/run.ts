// Plays a scenario (a clock, account state, steps) on a fresh engine and memory store, and
// reports every broken expectation with the step and the path it is written at. `tollgate test`
// runs policies' scenario files with it; the conformance vectors share its pieces.
import { createAccounts, type Accounts } from '../accounts.js';
import { ManualClock } from '../clock.js';
import type { EngineConfig } from '../config/engine-config.js';
import { createEngine } from '../engine.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import type { Store } from '../store/store.js';
import { compareResponse, subsetMismatches, type ExpectedResponse, type Mismatch } from './compare.js';
import { playRequest, type ScenarioRequest, type UpstreamAnswer } from './observe.js';

/** Account state before the first step, as billing would have set it (instants in ms). */
export interface AccountSeed {
  readonly plan?: string;
  readonly status?: string;
  readonly paidThrough?: number;
  readonly periodAnchor?: number;
  readonly credits?: number;
}

export type AccountOperation =
  | { readonly kind: 'set-plan'; readonly account: string; readonly plan: string | null }
  | { readonly kind: 'set-status'; readonly account: string; readonly status: string; readonly paidThrough?: number }
  | { readonly kind: 'grant' | 'debit' | 'refund'; readonly account: string; readonly amount: number; readonly key?: string };

export interface ScenarioStep {
  /** Ms to move the clock before this step. */
  readonly advance: number;
  readonly repeat: number;
  readonly request?: ScenarioRequest;
  readonly op?: AccountOperation;
  /** The upstream's answer to an allowed request: its status (matters for `chargeOn: success`), and the headers and body a metered route reads its cost from. */
  readonly upstream: UpstreamAnswer;
  readonly expect: ExpectedResponse;
  /** Account members after the step (subset), by account id. */
  readonly state?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface PlayableScenario {
  readonly config: EngineConfig;
  /** The instant of the first step (ms). */
  readonly start: number;
  readonly accounts: Readonly<Record<string, AccountSeed>>;
  readonly steps: readonly ScenarioStep[];
}

/** A broken expectation: `path` is under the step (`['expect', 'status']`, `['state', 'alice', 'credits']`). */
export interface StepFailure extends Mismatch {
  readonly step: number;
  /** Which of a repeated step's requests (1-based); absent for steps sent once. */
  readonly repetition?: number;
}

export type ScenarioOutcome = { readonly ok: true; readonly failures: readonly StepFailure[] } | { readonly ok: false; readonly errors: readonly string[] };

/** Runs every step on a fresh memory store; stops a scenario at its first failing step (later steps would only echo it). */
export async function playScenario(scenario: PlayableScenario): Promise<ScenarioOutcome> {
  const clock = new ManualClock(scenario.start);
  const store = createMemoryStore();
  try {
    const accounts = createAccounts(store, clock);
    await seedAccounts(scenario.accounts, store, accounts);
    // Scenarios check answers: they send no webhooks (and need no signing secret).
    const compiled = createEngine(scenario.config, store, clock, { notify: false, checkFacilitator: false });
    if (!compiled.ok) return { ok: false, errors: compiled.errors };
    for (const [index, step] of scenario.steps.entries()) {
      clock.advance(step.advance);
      for (let n = 1; n <= step.repeat; n++) {
        const mismatches: Mismatch[] = [
          ...(step.request !== undefined
            ? compareResponse(step.expect, await playRequest(compiled.engine, step.request, step.upstream))
            : step.op !== undefined
              ? await applyOperation(step.op, step.expect, accounts)
              : []),
        ].map((m) => ({ ...m, path: ['expect', ...m.path] }));
        for (const [id, members] of Object.entries(step.state ?? {})) mismatches.push(...subsetMismatches(['state', id], members, store.getAccount(id)));
        if (mismatches.length > 0) return { ok: true, failures: mismatches.map((m) => ({ ...m, step: index, ...(step.repeat > 1 ? { repetition: n } : {}) })) };
      }
    }
    return { ok: true, failures: [] };
  } finally {
    await store.close();
  }
}

/** Seeds initial accounts into a store, as billing integrations would set them. */
export async function seedAccounts(seeds: Readonly<Record<string, AccountSeed>>, store: Store, accounts: Accounts): Promise<void> {
  for (const [id, account] of Object.entries(seeds)) {
    if (account.plan !== undefined) await accounts.setPlan(id, account.plan);
    if (account.status !== undefined) await accounts.setStatus(id, account.status, account.paidThrough === undefined ? {} : { paidThrough: account.paidThrough });
    if (account.periodAnchor !== undefined) await store.updateAccount(id, { periodAnchor: account.periodAnchor });
    if (account.credits !== undefined && account.credits > 0) await accounts.changeCredits(id, 'grant', account.credits);
  }
}

/** Runs an account operation; returns how its outcome differs from `expect.result` / `expect.balance`. */
export async function applyOperation(op: AccountOperation, expect: ExpectedResponse, accounts: Accounts): Promise<Mismatch[]> {
  const outcome =
    op.kind === 'set-plan'
      ? { kind: 'applied', balance: (await accounts.setPlan(op.account, op.plan)).credits }
      : op.kind === 'set-status'
        ? { kind: 'applied', balance: (await accounts.setStatus(op.account, op.status, op.paidThrough === undefined ? {} : { paidThrough: op.paidThrough })).credits }
        : await accounts.changeCredits(op.account, op.kind, op.amount, op.key);
  return [
    ...(expect.result === undefined || expect.result === outcome.kind ? [] : [{ path: ['result'], message: `result ${outcome.kind}, expected ${expect.result}` }]),
    ...(expect.balance === undefined || expect.balance === outcome.balance ? [] : [{ path: ['balance'], message: `balance ${outcome.balance}, expected ${expect.balance}` }]),
  ];
}
