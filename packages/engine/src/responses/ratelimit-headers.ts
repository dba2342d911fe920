// RateLimit response fields: the IETF draft-11 `RateLimit-Policy` / `RateLimit` lists, and the
// legacy shape Kong's rate-limiting sends (`RateLimit-Limit/-Remaining/-Reset` for the most
// restrictive window plus `X-RateLimit-Limit-<Window>` / `X-RateLimit-Remaining-<Window>`).
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

const LEGACY_NAMES = { second: 'Second', minute: 'Minute', hour: 'Hour', day: 'Day' } as const;

export function addRateLimitHeaders(
  headers: Record<string, string>,
  style: HeaderStyle,
  rule: CheckRule,
  windows: readonly WindowState[],
  quotas: readonly QuotaState[],
  now: number,
): void {
  if (style === 'none' || (rule.windows.length === 0 && rule.quotas.length === 0)) return;
  if (style === 'ietf' || style === 'both') {
    // Plain concatenation: this runs on every allowed request.
    let value = '';
    for (const w of windows) value += `${value === '' ? '' : ', '}"${w.name}";r=${w.remaining};t=${headerSeconds(w.resetMs)}`;
    for (const q of quotas) {
      if (q.unit === 'requests') value += `${value === '' ? '' : ', '}"quota";r=${Math.max(0, q.limit - q.used)};t=${headerSeconds(q.resetAt - now)}`;
    }
    if (value !== '') {
      headers['RateLimit-Policy'] = policyHeader(rule);
      headers.RateLimit = value;
    }
  }
  if (style === 'legacy' || style === 'both') {
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
}
