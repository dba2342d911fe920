// The usage endpoint's answer: the caller's plan, subscription, credits, each quota and each rate
// window, read with the store's preview (previewAdmit, as `tollgate why`) on the usage rules
// (compileUsageRules): nothing is charged and no counter changes. The admin API reports an account with
// the same code (Engine.usage). Absent values are left out. Those rules count the request
// in exactly when the preview's outcome is `allowed`, so that one request is taken back out here.
import type { Caller } from './compile/identity.js';
import type { AdmissionResult, QuotaState, WindowState } from './store/store.js';

export const USAGE_HEADERS: Readonly<Record<string, string>> = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

export interface UsageReport {
  readonly account: string;
  /** Absent when the account resolves to no plan. */
  readonly plan?: string;
  /** Absent when the account has no subscription status. */
  readonly subscription?: { readonly status: string; readonly paidThrough?: string };
  readonly credits: number;
  /** The open expiring parts of `credits`, soonest-expiring first (absent when none): spent before the rest, gone at their expiry. */
  readonly grants?: readonly { readonly amount: number; readonly expiresAt: string }[];
  readonly quotas: readonly { readonly unit: string; readonly limit: number; readonly used: number; readonly remaining: number; readonly resetAt: string }[];
  readonly rateLimits: readonly { readonly window: string; readonly limit: number; readonly remaining: number; readonly resetSeconds: number }[];
}

export function usageReport(caller: Caller, result: AdmissionResult): UsageReport {
  const counted = result.outcome === 'allowed';
  const { account } = result;
  return {
    account: caller.account,
    ...(result.plan === undefined ? {} : { plan: result.plan }),
    ...(account.status === undefined ? {} : { subscription: { status: account.status, ...(account.paidThrough === undefined ? {} : { paidThrough: iso(account.paidThrough) }) } }),
    credits: account.credits,
    ...(account.grants === undefined ? {} : { grants: account.grants.map((grant) => ({ amount: grant.amount, expiresAt: iso(grant.expiresAt) })) }),
    quotas: result.quotas.map((q) => quotaUsage(q, counted)),
    rateLimits: result.windows.map((w) => windowUsage(w, counted)),
  };
}

function quotaUsage(quota: QuotaState, counted: boolean): UsageReport['quotas'][number] {
  const used = counted && quota.unit === 'requests' ? quota.used - 1 : quota.used;
  return { unit: quota.unit, limit: quota.limit, used, remaining: Math.max(0, quota.limit - used), resetAt: iso(quota.resetAt) };
}

function windowUsage(window: WindowState, counted: boolean): UsageReport['rateLimits'][number] {
  const remaining = counted ? Math.min(window.limit, window.remaining + 1) : window.remaining;
  return { window: window.name, limit: window.limit, remaining, resetSeconds: Math.ceil(window.resetMs / 1000) };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
