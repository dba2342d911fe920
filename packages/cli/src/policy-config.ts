// One policy's engine config from a loaded project, for the commands that run the engine on
// their own (`why`, and `admin serve` for its why endpoint).
import { buildIr } from '@tollgate/compiler';
import type { EngineConfig } from '@tollgate/engine';
import type { Project } from '@tollgate/policy';
import { CliError } from './io.js';

export function policyConfigOf(project: Project, name: string, dir: string): EngineConfig {
  const policy = buildIr(project).ir.policies.find((p) => p.name === name);
  if (policy === undefined) throw new CliError(`no policy named "${name}" in ${dir} (policies found: ${project.policies.map((p) => p.value.metadata.name).join(', ') || 'none'})`);
  return policy.config;
}
