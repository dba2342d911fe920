// `tollgate test [paths…]`: plays the scenario files (kind: Scenarios) beside the policies on the
// engine with the memory store, and reports each broken expectation at its file:line:col.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { COMPILER_RULES } from '@tollgate/compiler';
import { lint as lintFiles, ruleCatalogue } from '@tollgate/policy';
import { CliError, type Command } from '../io.js';
import { repoPathFor } from '../repo-path.js';
import { planRuns } from '../scenarios/plan-runs.js';
import { runScenarios } from '../scenarios/run-scenarios.js';
import { readSources } from '../sources.js';
import { TEST_FORMATTERS } from '../test-formatters/index.js';
import { TOOL_VERSION } from '../version.js';

export const TEST_USAGE = `Usage: tollgate test [paths…] [options]

Plays the scenarios (documents of kind Scenarios, e.g. *.scenarios.yaml) in the given files and
folders against the policies found there, on the engine with an in-memory store (default: policies).

Options:
  -f, --format <name>    stylish (default), junit, github; repeatable
  -o, --output <file>    write the matching --format to a file instead of stdout; repeatable

Exit codes: 0 every scenario passed, 1 a scenario failed or a file has errors, 2 usage or tool error.`;

export const test: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      format: { type: 'string', short: 'f', multiple: true },
      output: { type: 'string', short: 'o', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${TEST_USAGE}\n`);
    return 0;
  }
  const formats = values.format ?? ['stylish'];
  for (const format of formats) {
    if (!(format in TEST_FORMATTERS)) throw new CliError(`unknown format "${format}"; choose one of ${Object.keys(TEST_FORMATTERS).join(', ')}`);
  }
  const outputs = values.output ?? [];
  if (outputs.length > formats.length) throw new CliError('each --output needs its own --format');

  const paths = positionals.length > 0 ? positionals : ['policies'];
  const sources = await readSources(paths, io.cwd);
  const { project, diagnostics } = lintFiles(sources);
  if (project.scenarios.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
    throw new CliError(`no scenarios (documents of kind Scenarios) in ${paths.join(', ')}`);
  }
  const results = await runScenarios(planRuns(project));
  const report = { results, problems: diagnostics.filter((d) => d.severity === 'error') };

  const context = { rules: ruleCatalogue(COMPILER_RULES), toolVersion: TOOL_VERSION, repoPath: repoPathFor(io.cwd) };
  for (const [index, format] of formats.entries()) {
    const formatter = TEST_FORMATTERS[format];
    if (!formatter) continue;
    const rendered = formatter(report, context);
    const output = outputs[index];
    if (output === undefined) io.stdout.write(rendered);
    else await writeFile(resolve(io.cwd, output), rendered);
  }
  return report.problems.length > 0 || results.some((r) => r.failures.length > 0) ? 1 : 0;
};
