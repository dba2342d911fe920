// Credit operations of the Store contract (store.ts): grants (permanent or expiring), debits and
// refunds, and what they answer; the semantics are README.md's "Expiring grants" and "Account operations".

/** The largest credit balance: Number.MAX_SAFE_INTEGER, the last integer a double (JS, and Lua in Redis) holds exactly. */
export const MAX_CREDITS = Number.MAX_SAFE_INTEGER;
/**
 * The most open expiring grants an account keeps (distinct expiries, spent ones included until they
 * expire): a draw records which grants it took from, so this bounds every hold and receipt too.
 */
export const MAX_OPEN_GRANTS = 32;

/** An expiring part of the credit balance (AccountState.grants). */
export interface CreditGrant {
  /** What is left of it, in cost units. */
  readonly amount: number;
  /** Epoch ms at which what is left leaves the balance. */
  readonly expiresAt: number;
}

export type CreditOperation = 'grant' | 'debit' | 'refund';

export type CreditResult =
  | { readonly kind: 'applied'; readonly balance: number }
  /** The key was used before for the same operation, amount, expiry and debit: nothing changed. */
  | { readonly kind: 'duplicate'; readonly balance: number }
  /** The key was used before for a different operation, amount, expiry or debit: nothing changed. */
  | { readonly kind: 'conflict'; readonly balance: number }
  /** debit only: the balance is below the amount; nothing changed. */
  | { readonly kind: 'insufficient'; readonly balance: number }
  /** grant or refund: the balance would pass MAX_CREDITS, beyond which it would no longer be exact; nothing changed. */
  | { readonly kind: 'out-of-range'; readonly balance: number }
  /** grant with `expiresAt`: the account already has MAX_OPEN_GRANTS open grants, none expiring then; nothing changed. */
  | { readonly kind: 'too-many-grants'; readonly balance: number }
  /** refund with `debitKey`: no debit is recorded under that key (never, or longer ago than CREDIT_KEY_TTL_MS); nothing changed. */
  | { readonly kind: 'no-such-debit'; readonly balance: number };

export interface CreditChange {
  readonly operation: CreditOperation;
  /** Positive integer cost units. */
  readonly amount: number;
  /** Idempotency key, required for debit and refund. */
  readonly key?: string;
  /**
   * grant only: epoch ms at which what is left of this grant leaves the balance (a safe integer
   * after `now`, else a RangeError and nothing done). Absent: permanent credits. Grants expiring at
   * the same instant are one grant.
   */
  readonly expiresAt?: number;
  /**
   * refund only: the key of the debit this refund gives back (non-empty, else a RangeError). Up to
   * what is left of that debit, the credits return as a give-back: last taken first, to the grants
   * the debit took from while they are open (a part whose grant expired is lost, not returned); the
   * rest of the amount is permanent credits. Absent: all of it is permanent credits.
   */
  readonly debitKey?: string;
  readonly now: number;
}

/** The debit a credit change gives back when it names one; a RangeError when it is not a refund's or empty. */
export function refundedDebit(change: CreditChange): string | undefined {
  const { debitKey } = change;
  if (debitKey === undefined) return undefined;
  if (change.operation !== 'refund') throw new RangeError(`only a refund gives a debit back, not a ${change.operation}`);
  if (debitKey === '') throw new RangeError('a refund names its debit by a non-empty key');
  return debitKey;
}

/** The expiry of a credit change when it has one; a RangeError when it is not a grant's or not after `now`. */
export function grantExpiry(change: CreditChange): number | undefined {
  const { expiresAt } = change;
  if (expiresAt === undefined) return undefined;
  if (change.operation !== 'grant') throw new RangeError(`only a grant may expire, not a ${change.operation}`);
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= change.now) throw new RangeError(`a grant expires at an integer epoch ms after now (${change.now}), got ${String(expiresAt)}`);
  return expiresAt;
}
