// The text form of `tollgate why`: one section per step of the decision, each with its numbers.
import { describeOption, type Explanation } from '@tollgate/engine';

export function formatExplanation(e: Explanation): string {
  const lines: string[] = [];
  const add = (label: string, text: string) => lines.push(`${label.padEnd(14)}${text}`);
  const verdict = e.decision.kind === 'allow' ? `ALLOW ${e.decision.status}` : `DENY ${e.decision.status} ${e.decision.reason}`;
  lines.push(`${e.request.method} ${e.request.path} under policy ${e.policy} at ${e.at}: ${verdict}`, '');
  add('identity', e.identity === null ? 'nobody: the request identifies no account' : `account ${e.identity.account}${e.identity.scope === '' ? '' : `, windows per ${e.identity.scope}`}${e.identity.consumer === null ? '' : `, consumer ${e.identity.consumer}`}`);
  add('route', `${e.route ?? '(no route of the policy matches)'}${e.cost === null ? '' : `, cost ${e.cost}`}`);
  if (e.plan !== null) add('plan', `${e.plan.applied ?? '(none)'} (account's own: ${e.plan.own ?? 'none'}; fallback: ${e.plan.fallback ?? 'none'})`);
  const s = e.subscription;
  if (s !== null) {
    add('subscription', s.required ? `${s.passes ? 'passes' : 'FAILS'}: status ${s.status ?? 'none'} (needs ${s.statuses.join('|')}), paid through ${s.paidThrough ?? 'never'}${s.graceUntil === null ? '' : `, grace until ${s.graceUntil}`}` : 'not required');
  }
  if (e.entitlement !== null) add('entitlement', e.entitlement.entitled ? 'the plan includes this route' : `${e.entitlement.reason ?? ''}: plans with this route: ${e.entitlement.plansWithRoute.join(', ') || 'none'}`);
  for (const w of e.windows) add(`window ${w.name}`, `${w.refuses ? 'FULL' : 'ok'}: ${w.remaining} of ${w.limit} left after this request, ${w.refuses ? 'admits again' : 'resets'} in ${w.resetSeconds} s`);
  for (const q of e.quotas) add(`quota ${q.unit}`, `${q.exhausted ? 'EXHAUSTED' : 'ok'}: ${q.used} of ${q.limit} used, period ends ${q.resetAt}`);
  if (e.credits !== null) add('credits', `balance ${e.credits.balance}, cost ${e.credits.cost}${e.credits.drawsCredits ? ', every request draws credits' : ''}, overage ${e.credits.overage}${e.credits.charged > 0 ? `, this request draws ${e.credits.charged}` : ''}`);
  if (e.x402 !== null) add('x402 offer', e.x402.map(describeOption).join('; '));
  const type = (e.decision.problem as { type?: unknown } | null)?.type;
  add('decision', `${verdict}${typeof type === 'string' ? ` (${type})` : ''}`);
  if (e.advice.caller.length > 0) lines.push('', 'the caller can:', ...e.advice.caller.map((a) => `  - ${a}`));
  if (e.advice.operator.length > 0) lines.push('', 'the operator can:', ...e.advice.operator.map((a) => `  - ${a}`));
  lines.push('', 'nothing was written: this was a dry run');
  return `${lines.join('\n')}\n`;
}
