// What changes in the compiled configuration between two versions of a policy project: the
// plans × limits table, routes added and removed, plugins and other entities changed. Pure.
import type { Diagnostic, Project } from '@tollgate/policy';
import { compile } from '../compile.js';
import { buildIr } from '../ir/build-ir.js';
import type { CompileOptions, InventoryItem, TargetName } from '../targets/target.js';

export interface PlanRow {
  readonly policy: string;
  readonly plan: string;
  readonly before?: string;
  readonly after?: string;
}

export interface Change {
  readonly kind: InventoryItem['kind'];
  readonly key: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly summary: string;
}

export type DiffResult =
  | { readonly ok: true; readonly plans: readonly PlanRow[]; readonly changes: readonly Change[] }
  | { readonly ok: false; readonly side: 'base' | 'head'; readonly diagnostics: readonly Diagnostic[] };

/** One cell of the plans table: rate windows, then the billing-period quota and how overage is handled. */
function describePlans(project: Project): Map<string, string> {
  const cells = new Map<string, string>();
  for (const policy of buildIr(project).ir.policies) {
    for (const { name, plan } of policy.config.plans) {
      const limit = plan.rateLimit;
      const windows = limit ? Object.entries(limit).filter(([k]) => k !== 'window').map(([k, v]) => `${String(v)}/${k}`) : [];
      const rate = windows.length === 0 ? '' : `${windows.join(', ')}${limit?.window === 'sliding' ? ' (sliding)' : ''}`;
      const quota = plan.quota ? `${String(plan.quota.requests ?? plan.quota.units)} ${plan.quota.requests === undefined ? 'units' : 'requests'}/${plan.quota.per}` : '';
      const extras = [quota, plan.overage !== 'block' && plan.quota ? `overage ${plan.overage ?? ''}` : '', plan.credits === true ? 'credits' : '', plan.routes ? `routes ${plan.routes.map((r) => (typeof r === 'string' ? r : `${r.route}(${r.methods.join('|')})`)).join(' ')}` : '']
        .filter(Boolean)
        .join('; ');
      cells.set(JSON.stringify([policy.name, name]), [rate || 'no rate limit', extras].filter(Boolean).join('; '));
    }
  }
  return cells;
}

function planRows(base: Project, head: Project): PlanRow[] {
  const before = describePlans(base);
  const after = describePlans(head);
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  return keys.flatMap((key) => {
    const [policy = '', plan = ''] = JSON.parse(key) as string[];
    const b = before.get(key);
    const a = after.get(key);
    return b === a ? [] : [{ policy, plan, ...(b === undefined ? {} : { before: b }), ...(a === undefined ? {} : { after: a }) }];
  });
}

const itemKey = (i: InventoryItem): string => `${i.kind}\u0000${i.key}`;

export function diffProjects(base: Project, head: Project, target: TargetName, options: CompileOptions): DiffResult {
  const before = compile(base, target, options);
  if (!before.ok) return { ok: false, side: 'base', diagnostics: before.diagnostics };
  const after = compile(head, target, options);
  if (!after.ok) return { ok: false, side: 'head', diagnostics: after.diagnostics };
  const old = new Map(before.inventory.map((i) => [itemKey(i), i]));
  const now = new Map(after.inventory.map((i) => [itemKey(i), i]));
  const changes: Change[] = [];
  for (const [key, item] of old) {
    const next = now.get(key);
    if (!next) changes.push({ kind: item.kind, key: item.key, change: 'removed', summary: item.summary });
    else if (JSON.stringify(next.body) !== JSON.stringify(item.body)) changes.push({ kind: item.kind, key: item.key, change: 'changed', summary: next.summary });
  }
  for (const [key, item] of now) if (!old.has(key)) changes.push({ kind: item.kind, key: item.key, change: 'added', summary: item.summary });
  changes.sort((a, b) => (a.kind + a.key < b.kind + b.key ? -1 : a.kind + a.key > b.kind + b.key ? 1 : 0));
  return { ok: true, plans: planRows(base, head), changes };
}
