import { parseArgs } from 'node:util';
import { checkTargets } from '@tollgate/compiler';
import { atLeast, lint as lintFiles, SEVERITIES, type Severity } from '@tollgate/policy';
import { FORMATTERS } from '../formatters/index.js';
import { chooseOutputs, OUTPUT_OPTIONS, writeOutputs } from '../formatted-output.js';
import { CliError, type Command } from '../io.js';
import { readSources } from '../sources.js';

export const LINT_USAGE = `Usage: tollgate lint [paths…] [options]

Checks policy files (YAML; folders are searched recursively; default: policies).

Options:
  -f, --format <name>          stylish (default), text, json, sarif, github; repeatable
  -o, --output <file>          write the matching --format to a file instead of stdout; repeatable
  -F, --fail-severity <level>  error (default), warn, info or hint: findings at or above fail (exit 1)

Exit codes: 0 no findings at or above the fail severity, 1 findings, 2 usage or tool error.`;

export const lint: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      ...OUTPUT_OPTIONS,
      'fail-severity': { type: 'string', short: 'F', default: 'error' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${LINT_USAGE}\n`);
    return 0;
  }
  const failSeverity = values['fail-severity'];
  if (!(SEVERITIES as readonly string[]).includes(failSeverity)) {
    throw new CliError(`--fail-severity must be one of ${SEVERITIES.join(', ')}, not "${failSeverity}"`);
  }
  const outputChoice = chooseOutputs(FORMATTERS, values.format, values.output);

  const sources = await readSources(positionals.length > 0 ? positionals : ['policies'], io.cwd);
  if (sources.length === 0) throw new CliError(`no policy files (*.yaml, *.yml) in ${positionals.join(', ') || 'policies'}`);
  // Target problems the compiler would hit are lint findings too, with the same positions.
  const { diagnostics } = lintFiles(sources, [(project) => checkTargets(project)]);

  await writeOutputs(FORMATTERS, outputChoice, diagnostics, io);
  return diagnostics.some((d) => atLeast(d.severity, failSeverity as Severity)) ? 1 : 0;
};
