import type { PathSegment } from '../diagnostics.js';
import type { Located, Project } from '../load/load-project.js';
import type { Plan, PolicyDocument } from '../schema/policy-schema.js';

/** A plan where it is written, with the policies that use it (a catalogue plan may serve several). */
export interface PlanEntry {
  readonly name: string;
  readonly plan: Plan;
  readonly document: Located;
  readonly path: readonly PathSegment[];
  readonly users: readonly Located<PolicyDocument>[];
}

const cache = new WeakMap<Project, readonly PlanEntry[]>();

/** Every plan of the project (computed once per project: several rules walk them). */
export function planEntries(project: Project): readonly PlanEntry[] {
  const cached = cache.get(project);
  if (cached) return cached;
  const entries: PlanEntry[] = [];
  for (const catalogue of project.plans) {
    const users = project.policies.filter((p) => p.value.spec.usePlans === catalogue.value.metadata.name);
    for (const [name, plan] of Object.entries(catalogue.value.spec.plans)) {
      entries.push({ name, plan, document: catalogue, path: ['spec', 'plans', name], users });
    }
  }
  for (const policy of project.policies) {
    for (const [name, plan] of Object.entries(policy.value.spec.plans ?? {})) {
      entries.push({ name, plan, document: policy, path: ['spec', 'plans', name], users: [policy] });
    }
  }
  cache.set(project, entries);
  return entries;
}

/** The plans a policy enforces, lowest tier first, with where each is written. */
export function plansOf(project: Project, policy: Located<PolicyDocument>): readonly PlanEntry[] {
  let byPolicy = usersCache.get(project);
  if (!byPolicy) {
    byPolicy = new Map();
    for (const entry of planEntries(project)) {
      for (const user of entry.users) byPolicy.set(user, [...(byPolicy.get(user) ?? []), entry]);
    }
    usersCache.set(project, byPolicy);
  }
  return byPolicy.get(policy) ?? [];
}

const usersCache = new WeakMap<Project, Map<Located<PolicyDocument>, readonly PlanEntry[]>>();
