export * from './diagnostics.js';
export { loadProject, type Located, type LoadResult, type Project } from './load/load-project.js';
export { MAX_SOURCE_BYTES, type SourceFile } from './load/source-file.js';
export type { Target } from './load/locate.js';
export { resolvePlans, type ResolvedPlan } from './resolve.js';
export * from './schema/policy-schema.js';
export { lint, LOADER_RULES, ruleCatalogue, type LintResult, type ProjectCheck, type RuleInfo } from './lint.js';
export { controlCharacterDiagnostics, RULES, type Rule, type RuleFinding } from './rules/index.js';
