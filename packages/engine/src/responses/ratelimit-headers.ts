// RateLimit response fields: the IETF draft-11 `RateLimit-Policy` / `RateLimit` lists, and the
// legacy shape Kong's rate-limiting sends (`RateLimit-Limit/-Remaining/-Reset` for the most
// restrictive window plus `X-RateLimit-Limit-<Window>` / `X-RateLimit-Remaining-<Window>`).
import { LIFETIME_END } from '../store/billing-period.js';
import type { PlanRule, QuotaState, WindowState } from '../store/store.js';

export type HeaderStyle = 'ietf' | 'legacy' | 'both' | 'none';

type CheckRule = PlanRule & { kind: 'check' };

/** Seconds for a header: rounded up, at least 1 (a window that ends within the second still counts). */
export function headerSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

const policyHeaders = new WeakMap<CheckRule, string>();

/** `RateLimit-Policy`: static per plan rule, built once. Billing-period quotas appear as `"quota"` / `"quota-units"`. */
function policyHeader(rule: CheckRule): string {
  let value = policyHeaders.get(rule);
  if (value === undefined) {
    const items = rule.windows.map((w) => `"${w.name}";q=${w.limit};w=${w.ms / 1000}`);
    for (const q of rule.quotas) if (q.unit === 'requests') items.push(`"quota";q=${q.limit}`);
    value = items.join(', ');
    policyHeaders.set(rule, value);
  }
  return value;
}

/** The constant start of each window's `RateLimit` item, so an item costs two numbers and two joins. */
const IETF_ITEM_START = { second: '"second";r=', minute: '"minute";r=', hour: '"hour";r=', day: '"day";r=' } as const;
const LEGACY_NAMES = { second: 'Second', minute: 'Minute', hour: 'Hour', day: 'Day' } as const;

/**
 * The RateLimit fields of one decision, in a new object the caller may add to. This runs on every
 * allowed request, so the IETF fields are one object literal (no empty object grown field by field)
 * and their value is joined from constant parts.
 */
export function rateLimitHeaders(
  style: HeaderStyle,
  rule: CheckRule,
  windows: readonly WindowState[],
  quotas: readonly QuotaState[],
  now: number,
): Record<string, string> {
  if (style === 'none' || (rule.windows.length === 0 && rule.quotas.length === 0)) return {};
  const headers = style === 'legacy' ? {} : ietfHeaders(rule, windows, quotas, now);
  if (style !== 'ietf') addLegacyHeaders(headers, windows);
  return headers;
}

function ietfHeaders(rule: CheckRule, windows: readonly WindowState[], quotas: readonly QuotaState[], now: number): Record<string, string> {
  const value = ietfValue(windows, quotas, now);
  return value === '' ? {} : { 'RateLimit-Policy': policyHeader(rule), RateLimit: value };
}

function ietfValue(windows: readonly WindowState[], quotas: readonly QuotaState[], now: number): string {
  let value = '';
  for (const w of windows) value = joinItem(value, `${IETF_ITEM_START[w.name]}${w.remaining};t=${headerSeconds(w.resetMs)}`);
  for (const q of quotas) {
    // A lifetime quota never resets: its item has no t (the draft makes t optional).
    const reset = q.resetAt === LIFETIME_END ? '' : `;t=${headerSeconds(q.resetAt - now)}`;
    if (q.unit === 'requests') value = joinItem(value, `"quota";r=${Math.max(0, q.limit - q.used)}${reset}`);
  }
  return value;
}

function joinItem(list: string, item: string): string {
  return list === '' ? item : `${list}, ${item}`;
}

function addLegacyHeaders(headers: Record<string, string>, windows: readonly WindowState[]): void {
  let tightest: WindowState | undefined;
  for (const w of windows) {
    const name = LEGACY_NAMES[w.name];
    headers[`X-RateLimit-Limit-${name}`] = String(w.limit);
    headers[`X-RateLimit-Remaining-${name}`] = String(w.remaining);
    // Lowest remaining wins; ties go to the longer window (windows are ordered short → long).
    if (tightest === undefined || w.remaining <= tightest.remaining) tightest = w;
  }
  if (tightest !== undefined) {
    headers['RateLimit-Limit'] = String(tightest.limit);
    headers['RateLimit-Remaining'] = String(tightest.remaining);
    headers['RateLimit-Reset'] = String(headerSeconds(tightest.resetMs));
  }
}
