// Account operations for billing integrations and support staff (`tollgate account …`): set the
// plan or subscription, grant, debit and refund credits (debits and refunds idempotent by key; a
// grant or refund re-arms the account's low-credit notifications).
// Inputs are checked here once; stores receive only valid operations.
import { SUBSCRIPTION_STATUSES } from '@tollgate/policy/schema';
import type { Clock } from './clock.js';
import { accountId } from './compile/identity.js';
import type { AccountPatch, AccountState, CreditOperation, CreditResult, Store, SubscriptionStatus } from './store/store.js';

export const MAX_KEY_LENGTH = 200;

/** A bad operation (not an expected outcome such as insufficient credits): the message says what to fix. */
export class AccountInputError extends Error {}

export interface Accounts {
  show(account: string): Promise<AccountState>;
  setPlan(account: string, plan: string | null): Promise<AccountState>;
  setStatus(account: string, status: string, options?: { paidThrough?: number | null; periodAnchor?: number | null }): Promise<AccountState>;
  changeCredits(account: string, operation: CreditOperation, amount: number, key?: string, terms?: CreditTerms): Promise<CreditResult>;
}

/** What a credit change may carry besides its amount (store README, "Expiring grants"). */
export interface CreditTerms {
  /** grant only, epoch ms after now: what is left of the grant leaves the balance then. */
  readonly expiresAt?: number;
  /** refund only: the idempotency key of the debit it gives back (to the grants that debit took from, while open). */
  readonly debitKey?: string;
}

/**
 * `account` is the id the engine uses: a consumer's username, or `cred:<id>`, `ip:<address>`,
 * `hdr:<value>` for callers identified without a consumer.
 */
export function createAccounts(store: Store, clock: Clock): Accounts {
  const id = (account: string): string => {
    if (account === '') throw new AccountInputError('account must not be empty');
    return accountId(account);
  };
  const update = async (account: string, patch: AccountPatch) => store.updateAccount(id(account), patch);
  return {
    show: async (account) => store.getAccount(id(account)),
    setPlan: async (account, plan) => {
      if (plan === '') throw new AccountInputError('plan must not be empty (clear it with null)');
      return update(account, { plan });
    },
    setStatus: async (account, status, options = {}) => {
      if (!isStatus(status)) throw new AccountInputError(`unknown status "${status}" (use ${SUBSCRIPTION_STATUSES.join(', ')})`);
      for (const [name, value] of Object.entries(options)) {
        if (value !== null && !Number.isSafeInteger(value)) throw new AccountInputError(`${name} must be epoch milliseconds`);
      }
      return update(account, { status, ...options });
    },
    changeCredits: async (account, operation, amount, key, terms = {}) => {
      const { expiresAt, debitKey } = terms;
      if (!Number.isSafeInteger(amount) || amount <= 0) throw new AccountInputError(`amount must be a positive integer, got ${String(amount)}`);
      const now = clock.now();
      if (expiresAt !== undefined && operation !== 'grant') throw new AccountInputError(`only a grant may expire, not a ${operation}`);
      if (expiresAt !== undefined && (!Number.isSafeInteger(expiresAt) || expiresAt <= now)) {
        throw new AccountInputError(`expiresAt must be an instant after now (${new Date(now).toISOString()}), got ${Number.isFinite(expiresAt) ? new Date(expiresAt).toISOString() : String(expiresAt)}`);
      }
      if (debitKey !== undefined && operation !== 'refund') throw new AccountInputError(`only a refund gives a debit back, not a ${operation}`);
      if (debitKey !== undefined && (debitKey === '' || debitKey.length > MAX_KEY_LENGTH)) throw new AccountInputError(`the debit's key must be 1–${MAX_KEY_LENGTH} characters`);
      if (key === undefined && operation !== 'grant') throw new AccountInputError(`${operation} needs an idempotency key`);
      if (key !== undefined && (key === '' || key.length > MAX_KEY_LENGTH)) throw new AccountInputError(`idempotency key must be 1–${MAX_KEY_LENGTH} characters`);
      // Operator keys live apart from the engine's own hold keys.
      const change = {
        operation,
        amount,
        now,
        ...(key === undefined ? {} : { key: `op:${key}` }),
        ...(expiresAt === undefined ? {} : { expiresAt }),
        ...(debitKey === undefined ? {} : { debitKey: `op:${debitKey}` }),
      };
      const result = await store.changeCredits(id(account), change);
      // Credits rose: a later fall below a notification threshold is news again (notify/).
      if (result.kind === 'applied' && operation !== 'debit') await store.forgetCreditNotices(id(account));
      return result;
    },
  };
}

function isStatus(status: string): status is SubscriptionStatus {
  return (SUBSCRIPTION_STATUSES as readonly string[]).includes(status);
}
