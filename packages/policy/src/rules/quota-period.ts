import type { Project } from '../load/load-project.js';
import type { Rule, RuleFinding } from './rule.js';
import { planEntries } from './plan-entries.js';

export const quotaPeriod: Rule = {
  id: 'quota-period',
  severity: 'error',
  description:
    'A quota or credit refill period the store can follow: a time zone it knows (IANA, e.g. Europe/Berlin), a time zone only on calendar periods (subscription-anchored periods follow the subscription start, not a wall clock), and neither a time zone nor an anchor on a lifetime quota (it never resets).',
  *check(project: Project): Iterable<RuleFinding> {
    for (const entry of planEntries(project)) {
      const { refill } = entry.plan;
      if (refill?.timeZone !== undefined) yield* zoneFindings(entry.name, refill.timeZone, refill.anchor, { document: entry.document, path: [...entry.path, 'refill', 'timeZone'] });
      const { quota } = entry.plan;
      if (!quota) continue;
      const at = (key: string) => ({ document: entry.document, path: [...entry.path, 'quota', key] });
      if (quota.per === 'lifetime') {
        if (quota.timeZone !== undefined) yield { ...at('timeZone'), at: 'key', message: `plan "${entry.name}": a lifetime quota never resets, a time zone means nothing to it` };
        if (quota.anchor !== undefined) yield { ...at('anchor'), at: 'key', message: `plan "${entry.name}": a lifetime quota never resets, an anchor means nothing to it` };
        continue;
      }
      if (quota.timeZone !== undefined) yield* zoneFindings(entry.name, quota.timeZone, quota.anchor, at('timeZone'));
    }
  },
};

/** A period's time zone: one the store knows, and only on calendar periods. */
function* zoneFindings(plan: string, timeZone: string, anchor: string | undefined, where: Pick<RuleFinding, 'document' | 'path'>): Iterable<RuleFinding> {
  if (!knownTimeZone(timeZone)) {
    yield { ...where, message: `plan "${plan}": unknown time zone "${timeZone}" (an IANA name such as Europe/Berlin)` };
  } else if (anchor === 'subscription') {
    yield { ...where, at: 'key', message: `plan "${plan}": periods anchored at the subscription start follow that instant, not a time zone; use anchor: calendar or drop timeZone` };
  }
}

function knownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
