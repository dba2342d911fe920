// The --format/--output pairs of `tollgate lint` and `tollgate test`: each --output takes the
// --format at its position; formats without one go to stdout.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { COMPILER_RULES } from '@tollgate/compiler';
import { ruleCatalogue } from '@tollgate/policy';
import type { FormatContext } from './formatters/index.js';
import { CliError, type CliIo } from './io.js';
import { repoPathFor } from './repo-path.js';
import { TOOL_VERSION } from './version.js';

/** The options behind chooseOutputs, for a command's parseArgs table. */
export const OUTPUT_OPTIONS = {
  format: { type: 'string', short: 'f', multiple: true },
  output: { type: 'string', short: 'o', multiple: true },
} as const;

type Render<T> = (subject: T, context: FormatContext) => string;

export interface OutputChoice {
  readonly formats: readonly string[];
  readonly outputs: readonly string[];
}

/** Checks the parsed --format and --output values against `formatters` (stylish by default). */
export function chooseOutputs(formatters: Readonly<Record<string, unknown>>, format: readonly string[] | undefined, output: readonly string[] | undefined): OutputChoice {
  const formats = format ?? ['stylish'];
  for (const name of formats) {
    if (!(name in formatters)) throw new CliError(`unknown format "${name}"; choose one of ${Object.keys(formatters).join(', ')}`);
  }
  const outputs = output ?? [];
  if (outputs.length > formats.length) throw new CliError('each --output needs its own --format');
  return { formats, outputs };
}

/** Renders `subject` in every chosen format, to its --output file (relative to cwd) or stdout. */
export async function writeOutputs<T>(formatters: Readonly<Record<string, Render<T>>>, choice: OutputChoice, subject: T, io: CliIo): Promise<void> {
  const context = { rules: ruleCatalogue(COMPILER_RULES), toolVersion: TOOL_VERSION, repoPath: repoPathFor(io.cwd) };
  for (const [index, format] of choice.formats.entries()) {
    const formatter = formatters[format];
    if (!formatter) continue;
    const rendered = formatter(subject, context);
    const output = choice.outputs[index];
    if (output === undefined) io.stdout.write(rendered);
    else await writeFile(resolve(io.cwd, output), rendered);
  }
}
