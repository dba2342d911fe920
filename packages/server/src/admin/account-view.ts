// The JSON shape of an account on the admin API: times as ISO 8601 instants, absent fields left out.
import type { AccountState } from '@tollgate/engine';

export interface AccountView {
  readonly account: string;
  readonly plan?: string;
  readonly status?: string;
  readonly paidThrough?: string;
  readonly periodAnchor?: string;
  readonly credits: number;
  /** The open expiring parts of `credits`, soonest-expiring first. */
  readonly grants?: readonly { readonly amount: number; readonly expiresAt: string }[];
}

export function accountView(account: string, state: AccountState): AccountView {
  return {
    account,
    ...(state.plan === undefined ? {} : { plan: state.plan }),
    ...(state.status === undefined ? {} : { status: state.status }),
    ...(state.paidThrough === undefined ? {} : { paidThrough: new Date(state.paidThrough).toISOString() }),
    ...(state.periodAnchor === undefined ? {} : { periodAnchor: new Date(state.periodAnchor).toISOString() }),
    credits: state.credits,
    ...(state.grants === undefined ? {} : { grants: state.grants.map((grant) => ({ amount: grant.amount, expiresAt: new Date(grant.expiresAt).toISOString() })) }),
  };
}
