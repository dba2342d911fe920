// The Redis store (standalone or Cluster) behind the Store contract. Every operation is one Lua
// script call, atomic; admissions queued in the same event-loop turn share one call (admit-batches.ts), so a
// decision takes at most one round trip. The memory store is the reference semantics and the
// conformance vectors run against both.
import type { StoreSettings } from '../factories.js';
import {
  ACCOUNT_PATCH_OPERATION,
  eventStampError,
  CREDIT_KEY_TTL_MS,
  MAX_CREDITS,
  type AccountOnceResult,
  type AccountPatch,
  type AccountState,
  type Admission,
  type AdmissionResult,
  type CreditChange,
  type CreditResult,
  type EventStamp,
  type HoldCompletion,
  type HoldResult,
  type HoldSettlement,
  RECEIPT_TTL_MS,
  settlementAmount,
  type ClaimOwner,
  CREDIT_NOTICE_TTL_MS,
  type NoticeClaim,
  type PaymentClaim,
  type Store,
  type VoidResult,
} from '../store.js';
import { AdmitBatches, type SendBatch } from './admit-batches.js';
import { CONNECT_TIMEOUT_MS, ConnectionGate, createClient, sendNow, type RedisClient } from './connection.js';
import { ServerClock } from './server-clock.js';
import { ACCOUNT_SUFFIX, CREDIT_NOTICES_SUFFIX, keyBase, LEDGER_SUFFIX, NOTICE_SUFFIX, paymentKey } from './keys.js';
import { ADMIT_SCRIPT } from './lua/admit.js';
import { PREVIEW_ADMIT_SCRIPT } from './lua/preview-admit.js';
import { CHANGE_CREDITS_SCRIPT } from './lua/change-credits.js';
import { CLAIM_PAYMENT_SCRIPT } from './lua/claim-payment.js';
import { COMPLETE_HOLD_SCRIPT } from './lua/complete-hold.js';
import { FORGET_PAYMENT_SCRIPT } from './lua/forget-payment.js';
import type { LuaScript, ScriptArgument } from './lua/script.js';
import { UPDATE_ACCOUNT_SCRIPT } from './lua/update-account.js';
import { UPDATE_ACCOUNT_ONCE_SCRIPT } from './lua/update-account-once.js';
import { VOID_ADMISSION_SCRIPT } from './lua/void-admission.js';
import { parseAccount, parseAccountOnce, parseClaim, parseCredit, parseHold, parseVoid } from './replies.js';

export interface RedisStoreOptions {
  readonly kind: 'redis' | 'redis-cluster';
  readonly keyPrefix: string;
  /** The engine's per-call timeout: how long a decision may wait for a connection being made. */
  readonly timeoutMs: number;
}

const asIs = (reply: unknown): unknown => reply;
const READ_ONLY = true;

export class RedisStore implements Store {
  readonly kind: RedisStoreOptions['kind'];
  readonly #client: RedisClient;
  readonly #gate: ConnectionGate;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #admissions: AdmitBatches;
  readonly #previews: AdmitBatches;
  readonly #serverClock: ServerClock;

  /** Takes ownership of `client`: `close` disconnects it. */
  constructor(client: RedisClient, options: RedisStoreOptions) {
    this.kind = options.kind;
    this.#client = client;
    this.#gate = new ConnectionGate(client);
    this.#prefix = options.keyPrefix;
    this.#timeoutMs = options.timeoutMs;
    // One call per turn on a standalone server; a Cluster's per-account calls share ioredis's per-node pipelines.
    const writeNow = options.kind === 'redis';
    const sendAdmissions: SendBatch = (keys, args) => this.#run(ADMIT_SCRIPT, this.#timeoutMs, keys, args, asIs, false, writeNow);
    this.#serverClock = new ServerClock(client, ADMIT_SCRIPT);
    this.#admissions = new AdmitBatches(sendAdmissions, options.kind === 'redis-cluster', this.#serverClock.deadline);
    const sendPreviews: SendBatch = (keys, args) => this.#run(PREVIEW_ADMIT_SCRIPT, CONNECT_TIMEOUT_MS, keys, args, asIs, READ_ONLY);
    this.#previews = new AdmitBatches(sendPreviews, options.kind === 'redis-cluster', this.#serverClock.deadline);
  }

  admit(admission: Admission): Promise<AdmissionResult> {
    return this.#admissions.admit(admission, keyBase(this.#prefix, admission.account) + ACCOUNT_SUFFIX);
  }

  /** The preview script (lua/preview-admit.ts) with EVALSHA_RO: Redis itself refuses any write. */
  previewAdmit(admission: Admission): Promise<AdmissionResult> {
    const preview = { ...admission, holdKey: undefined, id: undefined, deadline: undefined };
    return this.#previews.admit(preview, keyBase(this.#prefix, admission.account) + ACCOUNT_SUFFIX);
  }

  completeHold(account: string, holdKey: string, completion: HoldCompletion | HoldSettlement, now: number): Promise<HoldResult> {
    const base = keyBase(this.#prefix, account);
    const send = (args: ScriptArgument[]): Promise<HoldResult> => this.#run(COMPLETE_HOLD_SCRIPT, this.#timeoutMs, [base + ACCOUNT_SUFFIX], args, parseHold);
    if (typeof completion !== 'object') return send([base, holdKey, completion, now]);
    // A settlement that is no whole number of units rejects (RangeError), sending nothing.
    return new Promise<ScriptArgument[]>((resolve) => {
      resolve([base, holdKey, 'settle', now, settlementAmount(completion)]);
    }).then(send);
  }

  voidAdmission(account: string, id: string): Promise<VoidResult> {
    const base = keyBase(this.#prefix, account);
    return this.#run(VOID_ADMISSION_SCRIPT, this.#timeoutMs, [base + ACCOUNT_SUFFIX], [base, id, RECEIPT_TTL_MS], parseVoid);
  }

  claimPayment(key: string, expiresAt: number, now: number, owner?: ClaimOwner): Promise<PaymentClaim> {
    const claimKey = paymentKey(this.#prefix, key);
    if (owner === undefined) return this.#run(CLAIM_PAYMENT_SCRIPT, this.#timeoutMs, [claimKey], [expiresAt, now, '', ''], parseClaim);
    const deadline = this.#serverClock.deadline(owner.deadline) ?? '';
    return this.#run(CLAIM_PAYMENT_SCRIPT, this.#timeoutMs, [claimKey, tombstoneKey(claimKey, owner.owner)], [expiresAt, now, owner.owner, deadline], parseClaim);
  }

  async forgetPayment(key: string, owner?: string): Promise<void> {
    const claimKey = paymentKey(this.#prefix, key);
    if (owner !== undefined) {
      await this.#run(FORGET_PAYMENT_SCRIPT, this.#timeoutMs, [claimKey, tombstoneKey(claimKey, owner)], [owner, RECEIPT_TTL_MS], asIs);
      return;
    }
    await this.#gate.enter(this.#timeoutMs);
    await this.#client.del(claimKey);
  }

  /**
   * One command (SET NX PX, expiring at the period's end) or, for a credit notice, one MULTI of
   * HSETNX and PEXPIRE on the account's credit-notice hash, which a grant or refund deletes. Both
   * keys carry the account's hash tag: on a Cluster they live in the account's slot.
   */
  async claimNotice(account: string, claim: NoticeClaim, now: number): Promise<boolean> {
    await this.#gate.enter(CONNECT_TIMEOUT_MS);
    const base = keyBase(this.#prefix, account);
    const ttl = Math.max(1, Math.min(claim.expiresAt - now, CREDIT_NOTICE_TTL_MS));
    if (!claim.untilCreditsRise) return (await this.#client.set(base + NOTICE_SUFFIX + claim.key, '1', 'PX', ttl, 'NX')) === 'OK';
    const key = base + CREDIT_NOTICES_SUFFIX;
    const replies = await this.#client.multi().hsetnx(key, claim.key, '1').pexpire(key, CREDIT_NOTICE_TTL_MS).exec();
    const [error, added] = replies?.[0] ?? [new Error('the credit notice claim was discarded'), 0];
    if (error) throw error;
    return added === 1;
  }

  async forgetCreditNotices(account: string): Promise<void> {
    await this.#gate.enter(CONNECT_TIMEOUT_MS);
    await this.#client.del(keyBase(this.#prefix, account) + CREDIT_NOTICES_SUFFIX);
  }

  async getAccount(account: string): Promise<AccountState> {
    await this.#gate.enter(CONNECT_TIMEOUT_MS);
    const fields = await this.#client.hmget(keyBase(this.#prefix, account) + ACCOUNT_SUFFIX, 'plan', 'status', 'paidThrough', 'periodAnchor', 'credits');
    return parseAccount(fields);
  }

  updateAccount(account: string, patch: AccountPatch): Promise<AccountState> {
    return this.#run(UPDATE_ACCOUNT_SCRIPT, CONNECT_TIMEOUT_MS, [keyBase(this.#prefix, account) + ACCOUNT_SUFFIX], patchArgs(patch), (reply) => parseAccount(reply, 'update-account'));
  }

  updateAccountOnce(account: string, patch: AccountPatch, key: string, now: number, stamp?: EventStamp): Promise<AccountOnceResult> {
    const base = keyBase(this.#prefix, account);
    const invalid = stamp === undefined ? undefined : eventStampError(stamp);
    if (invalid !== undefined) return Promise.reject(invalid);
    const stampArgs = stamp === undefined ? ['', '', ''] : [stamp.at, stamp.rank, stamp.id];
    const args = [now, CREDIT_KEY_TTL_MS, ACCOUNT_PATCH_OPERATION, ...stampArgs, ...patchArgs(patch)];
    return this.#run(UPDATE_ACCOUNT_ONCE_SCRIPT, CONNECT_TIMEOUT_MS, [base + ACCOUNT_SUFFIX, base + LEDGER_SUFFIX + key], args, parseAccountOnce);
  }

  changeCredits(account: string, change: CreditChange): Promise<CreditResult> {
    const base = keyBase(this.#prefix, account);
    const keys = change.key === undefined ? [base + ACCOUNT_SUFFIX] : [base + ACCOUNT_SUFFIX, base + LEDGER_SUFFIX + change.key];
    return this.#run(CHANGE_CREDITS_SCRIPT, CONNECT_TIMEOUT_MS, keys, [change.operation, change.amount, change.now, CREDIT_KEY_TTL_MS, base, MAX_CREDITS], parseCredit);
  }

  async close(): Promise<void> {
    this.#serverClock.close();
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

  /**
   * One EVALSHA (EVAL only when the server does not know the script yet: after a restart or SCRIPT
   * FLUSH), its reply read by `parse`; EVALSHA_RO and EVAL_RO when `readOnly`; the EVALSHA written at
   * once, outside auto-pipelining, when `writeNow` (connection.ts, sendNow). Written as plain
   * promise chains, not async functions: a decision is on the hot path, and every await is another
   * promise and another turn.
   */
  #run<T>(script: LuaScript, waitMs: number, keys: readonly string[], args: readonly ScriptArgument[], parse: (reply: unknown) => T, readOnly = false, writeNow = false): Promise<T> {
    const client = this.#client;
    const evalsha = (): Promise<unknown> => {
      if (writeNow) return sendNow(client, readOnly ? 'evalsha_ro' : 'evalsha', [script.sha, keys.length, ...keys, ...args]);
      return readOnly ? client.evalsha_ro(script.sha, keys.length, ...keys, ...args) : client.evalsha(script.sha, keys.length, ...keys, ...args);
    };
    const send = (): Promise<T> =>
      evalsha().then(parse, (error: unknown) => {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return (readOnly ? client.eval_ro(script.lua, keys.length, ...keys, ...args) : client.eval(script.lua, keys.length, ...keys, ...args)).then(parse);
      });
    const waiting = this.#gate.enter(waitMs);
    return waiting === undefined ? send() : waiting.then(send);
  }
}

/** Where the void of an abandoned claim leaves its tombstone: next to the claim, in its slot. */
function tombstoneKey(claimKey: string, owner: string): string {
  return `${claimKey}:v:${owner}`;
}

/** A patch as the update scripts take it: field, value pairs, an empty value clearing the field. */
function patchArgs(patch: AccountPatch): ScriptArgument[] {
  const args: ScriptArgument[] = [];
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
