import type { PathSegment } from '../diagnostics.js';
import type { Located, Project } from '../load/load-project.js';
import type { MeteredRoute, PolicyDocument } from '../schema/policy-schema.js';
import { plansOf } from './plan-entries.js';

/** One metered route (`costs.metered.<route>`) where it is written. */
export interface MeteredEntry {
  readonly route: string;
  readonly spec: MeteredRoute;
  readonly policy: Located<PolicyDocument>;
  readonly path: readonly PathSegment[];
}

export function meteredEntries(project: Project): MeteredEntry[] {
  return project.policies.flatMap((policy) =>
    Object.entries(policy.value.spec.costs?.metered ?? {}).map(([route, spec]) => ({ route, spec, policy, path: ['spec', 'costs', 'metered', route] })),
  );
}

/** Whether any plan of the policy draws credits (every request, or past its quota). */
export function drawsCredits(project: Project, policy: Located<PolicyDocument>): boolean {
  return plansOf(project, policy).some(({ plan }) => plan.credits === true || plan.overage === 'credits');
}
