// Loads policy folders for compiler tests the way the CLI does: every .yaml file, sorted by path.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProject, type Project } from '@tollgate/policy';
import type { CompileOptions, TargetName } from '../targets/target.js';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface Example {
  readonly name: string;
  readonly dir: string;
}

const folders = (root: string): Example[] =>
  readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({ name: e.name, dir: join(root, e.name) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));

/** The README's examples (policies/) and the compiler's own fixtures. */
export function examples(): Example[] {
  return [...folders(join(REPO, 'policies')), ...folders(FIXTURES)];
}

export function loadFolder(dir: string): Project {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ path: relative(REPO, join(dir, f)), bytes: readFileSync(join(dir, f)) }));
  const { project, diagnostics } = loadProject(files);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`fixture ${dir} does not load: ${JSON.stringify(errors)}`);
  return project;
}

export interface Variant {
  /** Folder under test/golden/. */
  readonly name: string;
  readonly target: TargetName;
  readonly options: CompileOptions;
}

const base = { mode: 'full', kongEdition: 'oss', apisixFormat: 'standalone' } as const;

export const VARIANTS: readonly Variant[] = [
  { name: 'kong', target: 'kong', options: base },
  { name: 'kong-enterprise', target: 'kong', options: { ...base, kongEdition: 'enterprise' } },
  { name: 'kong-overlay', target: 'kong', options: { ...base, mode: 'overlay' } },
  { name: 'apisix', target: 'apisix', options: base },
  { name: 'apisix-adc', target: 'apisix', options: { ...base, apisixFormat: 'adc' } },
];
