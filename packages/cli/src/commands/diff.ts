import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { diffMarkdown, diffProjects, diffText, TARGET_NAMES, type TargetName } from '@tollgate/compiler';
import { lint, MAX_SOURCE_BYTES, type Project, type SourceFile } from '@tollgate/policy';
import { CliError, type CliIo, type Command } from '../io.js';
import { readSources } from '../sources.js';
import { oneOf, OUTPUT_OPTIONS, outputOptions, reportProblems } from './compile.js';

const run = promisify(execFile);

export const DIFF_USAGE = `Usage: tollgate diff <base> <head> --target kong|apisix [options]

Shows what changes in the compiled configuration. <base> and <head> are folders, or git refs
(then the policies are read from --policies inside each commit).

Options:
  -t, --target <name>           kong or apisix (required)
  -f, --format <name>           text (default) or markdown (for a pull-request comment)
      --policies <path>         policy folder inside git refs (default: policies)
      --mode, --kong-edition, --apisix-format, --kong-plugin, --apisix-plugin   as for tollgate compile

Exit codes: 0 diff shown, 1 one side has problems, 2 usage or tool error.`;

const FORMATS = { text: diffText, markdown: diffMarkdown } as const;

/** A folder on disk, else a git ref of the repository at cwd. */
async function sourcesOf(spec: string, policies: string, io: CliIo): Promise<SourceFile[]> {
  const onDisk = await stat(resolve(io.cwd, spec)).then((s) => s.isDirectory(), () => false);
  if (onDisk) return readSources([spec], io.cwd);
  const git = (args: string[], encoding: 'utf8' | 'buffer') =>
    run('git', args, { cwd: io.cwd, encoding, maxBuffer: MAX_SOURCE_BYTES * 4 }).catch((error: unknown) => {
      const { stderr } = error as { stderr?: string | Buffer };
      const first = (typeof stderr === 'string' ? stderr : (stderr?.toString('utf8') ?? '')).trim().split('\n')[0];
      throw new CliError(`"${spec}" is neither a folder nor a git ref with ${policies}: ${first || String(error)}`);
    });
  const listing = await git(['ls-tree', '-r', '-z', '--name-only', spec, '--', policies], 'utf8');
  const names = String(listing.stdout).split('\0').filter((n) => /\.ya?ml$/i.test(n)).sort();
  return Promise.all(names.map(async (name) => ({ path: `${spec}:${name}`, bytes: new Uint8Array((await git(['show', `${spec}:${name}`], 'buffer')).stdout as Buffer) })));
}

function loadSide(sources: readonly SourceFile[], io: CliIo): Project | undefined {
  const { project, diagnostics } = lint(sources);
  if (!diagnostics.some((d) => d.severity === 'error')) return project;
  reportProblems(diagnostics, io);
  return undefined;
}

export const diff: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      target: { type: 'string', short: 't' },
      format: { type: 'string', short: 'f', default: 'text' },
      policies: { type: 'string', default: 'policies' },
      ...OUTPUT_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${DIFF_USAGE}\n`);
    return 0;
  }
  const [base, head, ...extra] = positionals;
  if (base === undefined || head === undefined || extra.length > 0) throw new CliError('give exactly two versions: tollgate diff <base> <head>');
  if (values.target === undefined) throw new CliError(`--target is required (${TARGET_NAMES.join(' or ')})`);
  const target: TargetName = oneOf('target', values.target, TARGET_NAMES);
  const format = oneOf('format', values.format, Object.keys(FORMATS) as (keyof typeof FORMATS)[]);
  const options = outputOptions(values);
  const before = loadSide(await sourcesOf(base, values.policies, io), io);
  const after = loadSide(await sourcesOf(head, values.policies, io), io);
  if (!before || !after) return 1;
  const result = diffProjects(before, after, target, options);
  if (!result.ok) {
    io.stderr.write(`${result.side} (${result.side === 'base' ? base : head}) does not compile:\n`);
    reportProblems(result.diagnostics, io);
    return 1;
  }
  io.stdout.write(FORMATS[format]({ title: `Tollgate: ${target} configuration, ${base} → ${head}`, plans: result.plans, changes: result.changes }));
  return 0;
};
