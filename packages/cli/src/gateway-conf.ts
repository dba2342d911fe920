// What `tollgate kong-conf` and `tollgate apisix-conf` share: the install paths the user gives,
// checked the way the gateways will use them, and the environment variables the policies reference.
import { isAbsolute, posix } from 'node:path';
import { lint, type Project } from '@tollgate/policy';
import { reportProblems } from './commands/compile.js';
import { CliError, type CliIo } from './io.js';
import { readSources } from './sources.js';

/**
 * An absolute path that survives the trip into a gateway command line: Kong runs the plugin
 * server's start and query commands through /bin/sh with an almost empty PATH, and strips from
 * `#` to the end of a kong.conf value; APISIX's `ext-plugin.cmd` takes an argv list.
 */
export function installPath(flag: string, value: string): string {
  if (!isAbsolute(value)) throw new CliError(`--${flag} must be an absolute path (the gateway runs it with an almost empty PATH), not "${value}"`);
  if (/[\s#;'"\\$`]/.test(value)) throw new CliError(`--${flag} "${value}": whitespace, quotes, #, ;, $, \` and \\ do not survive kong.conf and the shell; choose a path without them`);
  return posix.normalize(value).replace(/(?<=.)\/$/, '');
}

/** A ref's variable is needed where it is read: `credentials` at deploy time (decK) or by the gateway. */
export interface EnvNames {
  /** Read at run time by the plugin server, runner or gateway worker (store URLs, native Redis credentials …). */
  readonly runtime: readonly string[];
  /** Consumer credentials (`credentials.keyAuth`): decK fills them in at sync time; APISIX resolves $env:// itself. */
  readonly credentials: readonly string[];
}

/** Reads and lints the policy files; null (problems reported) when they have errors. */
export async function policyEnvNames(paths: readonly string[], io: CliIo): Promise<EnvNames | null> {
  const sources = await readSources(paths, io.cwd);
  if (sources.length === 0) throw new CliError(`no policy files (*.yaml, *.yml) in ${paths.join(', ')}`);
  const { project, diagnostics } = lint(sources);
  if (diagnostics.some((d) => d.severity === 'error')) {
    reportProblems(diagnostics, io);
    return null;
  }
  return collectEnvNames(project);
}

function collectEnvNames(project: Project): EnvNames {
  const runtime = new Set<string>();
  const credentials = new Set<string>();
  const visit = (node: unknown, underCredentials: boolean): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, underCredentials);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const entries = Object.entries(node);
    const [first] = entries;
    if (entries.length === 1 && first?.[0] === 'env' && typeof first[1] === 'string') {
      (underCredentials ? credentials : runtime).add(first[1]);
      return;
    }
    for (const [key, value] of entries) visit(value, underCredentials || key === 'credentials');
  };
  for (const doc of [...project.policies, ...project.plans, ...project.consumers]) visit(doc.value, false);
  return { runtime: [...runtime].sort(), credentials: [...credentials].sort() };
}

/** The policy paths (default: policies) and shared flags of both commands. */
export const POLICY_PATHS_DEFAULT = ['policies'];
