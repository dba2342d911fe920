import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The enclosing git checkout, so SARIF and annotations name files as the repository does. */
function repositoryRoot(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export function repoPathFor(cwd: string): (source: string) => string {
  const root = repositoryRoot(cwd) ?? cwd;
  return (source) => relative(root, resolve(cwd, source)).split('\\').join('/');
}
