import type { Located, Project } from './load/load-project.js';
import type { Plan, PolicyDocument } from './schema/policy-schema.js';

export interface ResolvedPlan {
  readonly name: string;
  readonly plan: Plan;
}

/** The plans a policy uses, lowest tier first: its inline plans, or those of the Plans catalogue it names. */
export function resolvePlans(project: Project, policy: Located<PolicyDocument>): ResolvedPlan[] {
  const { spec } = policy.value;
  const catalogue = spec.usePlans === undefined ? undefined : project.plans.find((p) => p.value.metadata.name === spec.usePlans);
  const plans = { ...(catalogue?.value.spec.plans ?? {}), ...(spec.plans ?? {}) };
  return Object.entries(plans).map(([name, plan]) => ({ name, plan }));
}
