// Argument parsing as the commands with their own option table share it: an unknown or malformed
// option is a usage error (exit 2) followed by the usage, and --help prints the usage.
import { parseArgs } from 'node:util';
import { CliError, type CliIo } from './io.js';

type OptionSpecs = Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean; readonly short?: string }>;

export type ParsedCommand<O extends OptionSpecs> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>;

/** The parsed arguments, or undefined once --help has printed `usage` (the command then exits 0). */
export function parseCommandArgs<O extends OptionSpecs>(args: readonly string[], options: O, usage: string, io: CliIo): ParsedCommand<O> | undefined {
  let parsed: ParsedCommand<O>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    io.stdout.write(`${usage}\n`);
    return undefined;
  }
  return parsed;
}
