// Expiring credit grants in the memory store (store README, "Expiring grants"): the balance
// `credits` is the total; the account's open grants, soonest-expiring first, are parts of it, and
// the permanent part is the rest. lua/grants.ts is the same, line for line, for the Redis store.
//
// Invariant: either the permanent part is ≥ 0, or every grant has 0 left (a balance below zero,
// a settlement's overdraft, has no grant parts). Spends take from the grants first, so they empty
// them before the permanent part goes below zero; credits added to a grant first pay the permanent
// part's debt.
import type { AccountRecord, OpenGrant } from './account-record.js';

const NONE: readonly never[] = [];

/** What one draw took from one grant: recorded with the hold or receipt, so a give-back returns it there. */
export interface GrantPart {
  readonly expiresAt: number;
  readonly amount: number;
}

/** Drops the grants whose expiry has come, their remaining amount leaving the balance. */
export function expireGrants(record: AccountRecord, now: number): void {
  // The check alone, so that it is inlined where it runs per request; expiring is rare.
  const grants = record.grants;
  if (grants !== undefined && (grants[0] as OpenGrant).expiresAt <= now) dropExpired(record, grants, now);
}

function dropExpired(record: AccountRecord, grants: OpenGrant[], now: number): void {
  let expired = 0;
  while (grants.length > 0 && (grants[0] as OpenGrant).expiresAt <= now) expired += (grants.shift() as OpenGrant).amount;
  record.credits -= expired;
  if (grants.length === 0) record.grants = undefined;
  record.snapshot = undefined;
}

/** Takes `amount` from the balance, soonest-expiring grant first, then the permanent part; returns what it took from each grant. */
export function spendCredits(record: AccountRecord, amount: number): readonly GrantPart[] {
  record.credits -= amount;
  record.snapshot = undefined;
  return record.grants === undefined ? NONE : takeFromGrants(record.grants, amount);
}

function takeFromGrants(grants: OpenGrant[], amount: number): readonly GrantPart[] {
  const parts: GrantPart[] = [];
  let left = amount;
  for (const grant of grants) {
    if (left === 0) break;
    const taken = Math.min(grant.amount, left);
    if (taken === 0) continue;
    grant.amount -= taken;
    left -= taken;
    parts.push({ expiresAt: grant.expiresAt, amount: taken });
  }
  return parts;
}

/** Whether a grant expiring at `expiresAt` may be added: one open already expires then, or fewer than `max` are open. */
export function grantFits(record: AccountRecord, expiresAt: number, max: number): boolean {
  const grants = record.grants;
  return grants === undefined || grants.length < max || grants.some((grant) => grant.expiresAt === expiresAt);
}

/** Adds `amount` to the grant expiring at `expiresAt` (opened when none is), after paying the permanent part's debt. */
export function addToGrant(record: AccountRecord, expiresAt: number, amount: number): void {
  const grants = (record.grants ??= []);
  let at = grants.findIndex((grant) => grant.expiresAt >= expiresAt);
  if (at < 0) at = grants.length;
  if (grants[at]?.expiresAt !== expiresAt) grants.splice(at, 0, { expiresAt, amount: 0 });
  const debt = Math.max(0, -permanentPart(record));
  (grants[at] as OpenGrant).amount += amount - Math.min(debt, amount);
  record.credits += amount;
  record.snapshot = undefined;
}

/**
 * Gives back `amount` of a draw of `drawn` credits that took `parts` from grants: from the last
 * taken first (the permanent part, then the latest-expiring grant parts), as if the draw had been
 * smaller. A part whose grant has expired since is not given back (it would have expired).
 * Returns what came back to the balance.
 */
export function giveBackCredits(record: AccountRecord, amount: number, drawn: number, parts: readonly GrantPart[]): number {
  let fromGrants = 0;
  for (const part of parts) fromGrants += part.amount;
  const permanent = Math.min(amount, drawn - fromGrants);
  record.credits += permanent;
  record.snapshot = undefined;
  let left = amount - permanent;
  let back = permanent;
  for (let i = parts.length - 1; i >= 0 && left > 0; i--) {
    const part = parts[i] as GrantPart;
    const returned = Math.min(part.amount, left);
    left -= returned;
    if (record.grants?.some((grant) => grant.expiresAt === part.expiresAt) === true) {
      addToGrant(record, part.expiresAt, returned);
      back += returned;
    }
  }
  return back;
}

/** A draw's parts once `givenBack` of it came back (permanent part first, then the latest-expiring parts), as giveBackCredits takes it. */
export function partsAfter(parts: readonly GrantPart[], drawn: number, givenBack: number): readonly GrantPart[] {
  let fromGrants = 0;
  for (const part of parts) fromGrants += part.amount;
  let left = givenBack - Math.min(givenBack, drawn - fromGrants);
  const kept = parts.slice();
  while (left > 0 && kept.length > 0) {
    const last = kept.pop() as GrantPart;
    const taken = Math.min(last.amount, left);
    left -= taken;
    if (taken < last.amount) kept.push({ expiresAt: last.expiresAt, amount: last.amount - taken });
  }
  return kept;
}

/** The balance less every open grant's remaining amount. */
function permanentPart(record: AccountRecord): number {
  let part = record.credits;
  for (const grant of record.grants ?? NONE) part -= grant.amount;
  return part;
}
