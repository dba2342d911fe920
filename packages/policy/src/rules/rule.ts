import type { PathSegment, Severity } from '../diagnostics.js';
import type { Located, Project } from '../load/load-project.js';
import type { Target } from '../load/locate.js';

/** What a rule reports: which document, where in it, and what is wrong. The runner adds the rest. */
export interface RuleFinding {
  readonly document: Located;
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** Point at the key instead of the value (e.g. a misnamed map key). */
  readonly at?: Target;
}

export interface Rule {
  readonly id: string;
  readonly severity: Severity;
  /** One line for SARIF's rule list and the docs. */
  readonly description: string;
  check(project: Project): Iterable<RuleFinding>;
}
