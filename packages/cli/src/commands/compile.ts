import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { APISIX_FORMATS, APISIX_PLUGIN_KINDS, checkTargets, compile as compileProject, formatExplanations, KONG_EDITIONS, KONG_PLUGIN_KINDS, MODES, TARGET_NAMES, type CompileOptions, type TargetName } from '@tollgate/compiler';
import { lint, ruleCatalogue, type Diagnostic } from '@tollgate/policy';
import { stylish } from '../formatters/stylish.js';
import { CliError, type CliIo, type Command } from '../io.js';
import { repoPathFor } from '../repo-path.js';
import { readSources } from '../sources.js';
import { TOOL_VERSION } from '../version.js';

export const COMPILE_USAGE = `Usage: tollgate compile [paths…] --target kong|apisix [options]

Compiles policy files (default: policies) into gateway configuration.

Options:
  -t, --target <name>           kong (decK file) or apisix (required)
  -o, --out <dir>               write kong.yaml / apisix.yaml / adc.yaml there (default: stdout)
      --mode <mode>             full (default: services, routes, consumers, plugins) or overlay
                                (Kong: plugins attached by name to existing services and routes)
      --kong-edition <edition>  oss (default) or enterprise (per-plan limits on consumer groups)
      --apisix-format <format>  standalone (default: apisix.yaml with #END) or adc
      --kong-plugin <kind>      js (default: the plugin in kong-js-pluginserver) or lua (the native
                                tollgate-lua plugin with the Tollgate sidecar; x402 policies keep js)
      --apisix-plugin <kind>    runner (default: ext-plugin) or lua (the native tollgate plugin with
                                the Tollgate sidecar; x402 policies keep the runner)
      --explain                 say per policy what runs natively and what in Tollgate, and why

Exit codes: 0 written, 1 problems in the policies (nothing written), 2 usage or tool error.`;

export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new CliError(`--${flag} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

/** The options compile and diff share, as parseArgs declares and returns them. */
export const OUTPUT_OPTIONS = {
  mode: { type: 'string', default: 'full' },
  'kong-edition': { type: 'string', default: 'oss' },
  'apisix-format': { type: 'string', default: 'standalone' },
  'kong-plugin': { type: 'string', default: 'js' },
  'apisix-plugin': { type: 'string', default: 'runner' },
} as const;

export function outputOptions(values: { mode: string; 'kong-edition': string; 'apisix-format': string; 'kong-plugin': string; 'apisix-plugin': string }): CompileOptions {
  return {
    mode: oneOf('mode', values.mode, MODES),
    kongEdition: oneOf('kong-edition', values['kong-edition'], KONG_EDITIONS),
    apisixFormat: oneOf('apisix-format', values['apisix-format'], APISIX_FORMATS),
    kongPlugin: oneOf('kong-plugin', values['kong-plugin'], KONG_PLUGIN_KINDS),
    apisixPlugin: oneOf('apisix-plugin', values['apisix-plugin'], APISIX_PLUGIN_KINDS),
  };
}

/** Lint findings or compile problems: shown like `tollgate lint` shows them. */
export function reportProblems(diagnostics: readonly Diagnostic[], io: CliIo): void {
  io.stderr.write(stylish(diagnostics, { rules: ruleCatalogue(), toolVersion: TOOL_VERSION, repoPath: repoPathFor(io.cwd) }));
}

export const compile: Command = async (args, io) => {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      target: { type: 'string', short: 't' },
      out: { type: 'string', short: 'o' },
      ...OUTPUT_OPTIONS,
      explain: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${COMPILE_USAGE}\n`);
    return 0;
  }
  if (values.target === undefined) throw new CliError(`--target is required (${TARGET_NAMES.join(' or ')})`);
  const target: TargetName = oneOf('target', values.target, TARGET_NAMES);
  const options = outputOptions(values);
  if (target === 'apisix' && options.mode === 'overlay') {
    throw new CliError('--mode overlay is for Kong: an APISIX standalone or ADC file holds the whole configuration');
  }

  const paths = positionals.length > 0 ? positionals : ['policies'];
  const sources = await readSources(paths, io.cwd);
  if (sources.length === 0) throw new CliError(`no policy files (*.yaml, *.yml) in ${paths.join(', ')}`);
  const { project, diagnostics } = lint(sources, [(p) => checkTargets(p, [target])]);
  if (diagnostics.some((d) => d.severity === 'error')) {
    reportProblems(diagnostics, io);
    return 1;
  }
  const result = compileProject(project, target, options);
  if (!result.ok) {
    reportProblems(result.diagnostics, io);
    return 1;
  }

  const explanation = values.explain ? formatExplanations(`tollgate compile --target ${target} (${describeOptions(target, options)})`, result.explanations) : '';
  if (values.out === undefined) {
    for (const file of result.files) io.stdout.write(file.text);
    // stdout carries the configuration: the explanation goes next to it, not into it.
    io.stderr.write(explanation);
    return 0;
  }
  const dir = resolve(io.cwd, values.out);
  await mkdir(dir, { recursive: true }).catch((error: unknown) => {
    throw new CliError(`cannot create ${values.out ?? dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  });
  for (const file of result.files) {
    await writeFile(join(dir, file.name), file.text).catch((error: unknown) => {
      throw new CliError(`cannot write ${join(values.out ?? dir, file.name)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    });
    io.stdout.write(`wrote ${join(values.out, file.name)}\n`);
  }
  io.stdout.write(explanation);
  return 0;
};

function describeOptions(target: TargetName, options: CompileOptions): string {
  return target === 'kong' ? `${options.kongEdition}, ${options.mode} mode` : options.apisixFormat;
}
