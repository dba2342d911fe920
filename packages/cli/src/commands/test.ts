// `tollgate test [paths…]`: plays the scenario files (kind: Scenarios) beside the policies on the
// engine with the memory store, and reports each broken expectation at its file:line:col.
import { parseArgs } from 'node:util';
import { lint as lintFiles } from '@tollgate/policy';
import { chooseOutputs, OUTPUT_OPTIONS, writeOutputs } from '../formatted-output.js';
import { CliError, type Command } from '../io.js';
import { planRuns } from '../scenarios/plan-runs.js';
import { runScenarios } from '../scenarios/run-scenarios.js';
import { readSources } from '../sources.js';
import { TEST_FORMATTERS } from '../test-formatters/index.js';

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
      ...OUTPUT_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${TEST_USAGE}\n`);
    return 0;
  }
  const outputChoice = chooseOutputs(TEST_FORMATTERS, values.format, values.output);

  const paths = positionals.length > 0 ? positionals : ['policies'];
  const sources = await readSources(paths, io.cwd);
  const { project, diagnostics } = lintFiles(sources);
  if (project.scenarios.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
    throw new CliError(`no scenarios (documents of kind Scenarios) in ${paths.join(', ')}`);
  }
  const results = await runScenarios(planRuns(project));
  const report = { results, problems: diagnostics.filter((d) => d.severity === 'error') };

  await writeOutputs(TEST_FORMATTERS, outputChoice, report, io);
  return report.problems.length > 0 || results.some((r) => r.failures.length > 0) ? 1 : 0;
};
