// The Redis store (standalone or Cluster) behind the Store contract. Every operation is one Lua
// script call, so one decision is one round trip and atomic; the memory store is the reference
// semantics and the conformance vectors run against both.
import type { StoreSettings } from '../factories.js';
import {
  ACCOUNT_PATCH_OPERATION,
  CREDIT_KEY_TTL_MS,
  HOLD_TTL_MS,
  type AccountOnceResult,
  type AccountPatch,
  type AccountState,
  type Admission,
  type AdmissionResult,
  type CreditChange,
  type CreditResult,
  type HoldCompletion,
  type HoldResult,
  type PaymentClaim,
  type Store,
} from '../store.js';
import { CONNECT_TIMEOUT_MS, ConnectionGate, createClient, type RedisClient } from './connection.js';
import { ACCOUNT_SUFFIX, keyBase, LEDGER_SUFFIX, paymentKey } from './keys.js';
import { ADMIT_SCRIPT } from './lua/admit.js';
import { CHANGE_CREDITS_SCRIPT } from './lua/change-credits.js';
import { CLAIM_PAYMENT_SCRIPT } from './lua/claim-payment.js';
import { COMPLETE_HOLD_SCRIPT } from './lua/complete-hold.js';
import type { LuaScript } from './lua/script.js';
import { UPDATE_ACCOUNT_SCRIPT } from './lua/update-account.js';
import { UPDATE_ACCOUNT_ONCE_SCRIPT } from './lua/update-account-once.js';
import { rulesArgs } from './rules-args.js';
import { parseAccount, parseAccountOnce, parseAdmission, parseClaim, parseCredit, parseHold } from './replies.js';

export interface RedisStoreOptions {
  readonly kind: 'redis' | 'redis-cluster';
  readonly keyPrefix: string;
  /** The engine's per-call timeout: how long a decision may wait for a connection being made. */
  readonly timeoutMs: number;
}

type Argument = string | number;

export class RedisStore implements Store {
  readonly kind: RedisStoreOptions['kind'];
  readonly #client: RedisClient;
  readonly #gate: ConnectionGate;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  /** Takes ownership of `client`: `close` disconnects it. */
  constructor(client: RedisClient, options: RedisStoreOptions) {
    this.kind = options.kind;
    this.#client = client;
    this.#gate = new ConnectionGate(client);
    this.#prefix = options.keyPrefix;
    this.#timeoutMs = options.timeoutMs;
  }

  async admit(admission: Admission): Promise<AdmissionResult> {
    const base = keyBase(this.#prefix, admission.account);
    const reply = await this.#run(ADMIT_SCRIPT, this.#timeoutMs, [base + ACCOUNT_SUFFIX], [
      base,
      admission.scope,
      admission.fallbackPlan ?? '',
      admission.now,
      admission.holdKey ?? '',
      HOLD_TTL_MS,
      ...rulesArgs(admission.rules),
    ]);
    return parseAdmission(reply, admission.rules);
  }

  async completeHold(account: string, holdKey: string, completion: HoldCompletion, now: number): Promise<HoldResult> {
    const base = keyBase(this.#prefix, account);
    return parseHold(await this.#run(COMPLETE_HOLD_SCRIPT, this.#timeoutMs, [base + ACCOUNT_SUFFIX], [base, holdKey, completion, now]));
  }

  async claimPayment(key: string, expiresAt: number, now: number): Promise<PaymentClaim> {
    return parseClaim(await this.#run(CLAIM_PAYMENT_SCRIPT, this.#timeoutMs, [paymentKey(this.#prefix, key)], [expiresAt, now]));
  }

  async forgetPayment(key: string): Promise<void> {
    await this.#gate.enter(this.#timeoutMs);
    await this.#client.del(paymentKey(this.#prefix, key));
  }

  async getAccount(account: string): Promise<AccountState> {
    await this.#gate.enter(CONNECT_TIMEOUT_MS);
    const fields = await this.#client.hmget(keyBase(this.#prefix, account) + ACCOUNT_SUFFIX, 'plan', 'status', 'paidThrough', 'periodAnchor', 'credits');
    return parseAccount(fields);
  }

  async updateAccount(account: string, patch: AccountPatch): Promise<AccountState> {
    const reply = await this.#run(UPDATE_ACCOUNT_SCRIPT, CONNECT_TIMEOUT_MS, [keyBase(this.#prefix, account) + ACCOUNT_SUFFIX], patchArgs(patch));
    return parseAccount(reply, 'update-account');
  }

  async updateAccountOnce(account: string, patch: AccountPatch, key: string, now: number): Promise<AccountOnceResult> {
    const base = keyBase(this.#prefix, account);
    const args = [now, CREDIT_KEY_TTL_MS, ACCOUNT_PATCH_OPERATION, ...patchArgs(patch)];
    return parseAccountOnce(await this.#run(UPDATE_ACCOUNT_ONCE_SCRIPT, CONNECT_TIMEOUT_MS, [base + ACCOUNT_SUFFIX, base + LEDGER_SUFFIX + key], args));
  }

  async changeCredits(account: string, change: CreditChange): Promise<CreditResult> {
    const base = keyBase(this.#prefix, account);
    const keys = change.key === undefined ? [base + ACCOUNT_SUFFIX] : [base + ACCOUNT_SUFFIX, base + LEDGER_SUFFIX + change.key];
    return parseCredit(await this.#run(CHANGE_CREDITS_SCRIPT, CONNECT_TIMEOUT_MS, keys, [change.operation, change.amount, change.now, CREDIT_KEY_TTL_MS, base]));
  }

  async close(): Promise<void> {
    this.#gate.close();
    if (this.#client.status === 'ready') {
      try {
        await this.#client.quit();
        return;
      } catch {
        // The connection went away while quitting: disconnecting below is all that is left.
      }
    }
    this.#client.disconnect();
  }

  /** One EVALSHA; EVAL only when the server does not know the script yet (after a restart or SCRIPT FLUSH). */
  async #run(script: LuaScript, waitMs: number, keys: readonly string[], args: readonly Argument[]): Promise<unknown> {
    await this.#gate.enter(waitMs);
    try {
      return await this.#client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.#client.eval(script.lua, keys.length, ...keys, ...args);
    }
  }

}

/** A patch as the update scripts take it: field, value pairs, an empty value clearing the field. */
function patchArgs(patch: AccountPatch): Argument[] {
  const args: Argument[] = [];
  for (const field of ['plan', 'status', 'paidThrough', 'periodAnchor'] as const) {
    const value = patch[field];
    if (value !== undefined) args.push(field, value ?? '');
  }
  return args;
}

/** The `redis` and `redis-cluster` store factory: connects at once, in the background. */
export function createRedisStore(settings: StoreSettings): RedisStore {
  const kind = settings.kind === 'redis-cluster' ? 'redis-cluster' : 'redis';
  return new RedisStore(createClient(settings), { kind, keyPrefix: settings.keyPrefix, timeoutMs: settings.timeoutMs });
}
