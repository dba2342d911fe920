import { controlCharacterDiagnostics, type Diagnostic, type Project } from '@tollgate/policy';
import { INLINE_SECRET } from './codes.js';
import type { PolicyExplanation } from './explain.js';
import { buildIr } from './ir/build-ir.js';
import { apisix } from './targets/apisix/index.js';
import { kong } from './targets/kong/index.js';
import { DEFAULT_OPTIONS, TARGET_NAMES, type CompileOptions, type InventoryItem, type OutputFile, type Target, type TargetName } from './targets/target.js';

export const TARGETS: Readonly<Record<TargetName, Target>> = { kong, apisix };

export type CompileResult =
  | {
      readonly ok: true;
      readonly files: readonly OutputFile[];
      readonly explanations: readonly PolicyExplanation[];
      readonly inventory: readonly InventoryItem[];
    }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/**
 * Compiles a lint-clean project for one gateway. Pure and synchronous: the same project and
 * options give the same bytes. Any error diagnostic means no files.
 */
export function compile(project: Project, target: TargetName, options: CompileOptions = DEFAULT_OPTIONS): CompileResult {
  const { ir, diagnostics } = buildIr(project);
  const chosen = TARGETS[target];
  // Never write control characters into a gateway file, even for a project lint was not run on.
  const problems = [...controlCharacterDiagnostics(project), ...diagnostics, ...chosen.check(ir)];
  if (problems.some((d) => d.severity === 'error')) return { ok: false, diagnostics: problems };
  const output = chosen.compile(ir, options);
  if (output.diagnostics.some((d) => d.severity === 'error')) return { ok: false, diagnostics: [...problems, ...output.diagnostics] };
  return { ok: true, files: output.files, explanations: output.explanations, inventory: output.inventory };
}

/**
 * Target-specific problems for `tollgate lint`: what would stop `compile` for any of `targets`.
 * Inline secrets are left to lint's own no-inline-secret rule, which reports the same nodes.
 */
export function checkTargets(project: Project, targets: readonly TargetName[] = TARGET_NAMES): Diagnostic[] {
  const { ir, diagnostics } = buildIr(project);
  return [...diagnostics.filter((d) => d.code !== INLINE_SECRET), ...targets.flatMap((t) => TARGETS[t].check(ir))];
}
