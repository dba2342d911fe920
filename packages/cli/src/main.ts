import { account } from './commands/account.js';
import { admin } from './commands/admin.js';
import { apisixConf } from './commands/apisix-conf.js';
import { compile } from './commands/compile.js';
import { diff } from './commands/diff.js';
import { kongConf } from './commands/kong-conf.js';
import { meter } from './commands/meter.js';
import { lint } from './commands/lint.js';
import { test } from './commands/test.js';
import { webhooks } from './commands/webhooks.js';
import { why } from './commands/why.js';
import { CliError, type CliIo, type Command } from './io.js';
import { TOOL_VERSION } from './version.js';

export type { CliIo } from './io.js';

const COMMANDS: Readonly<Record<string, { run: Command; summary: string }>> = {
  lint: { run: lint, summary: 'check policy files (stylish, text, json, sarif, github)' },
  test: { run: test, summary: 'play the policies\' scenario files on the engine (stylish, junit, github)' },
  compile: { run: compile, summary: 'compile policies into Kong (decK) or APISIX (standalone, ADC) configuration' },
  diff: { run: diff, summary: 'what changes in the compiled configuration between two versions (text or Markdown)' },
  account: { run: account, summary: 'show and change account state: plan, subscription status, credits' },
  webhooks: { run: webhooks, summary: 'serve the Stripe billing webhook endpoint (secret in STRIPE_WEBHOOK_SECRET)' },
  meter: { run: meter, summary: 'ship the usage outbox to Stripe Meters and/or OpenMeter (keys in STRIPE_API_KEY, OPENMETER_TOKEN)' },
  why: { run: why, summary: 'explain what a policy would answer a request, with its numbers (a dry run: nothing is written)' },
  admin: { run: admin, summary: 'serve the account admin API (bearer token in TOLLGATE_ADMIN_TOKEN)' },
  'kong-conf': { run: kongConf, summary: 'print the kong.conf lines that install the Tollgate plugins for your paths' },
  'apisix-conf': { run: apisixConf, summary: 'print the APISIX config.yaml keys that install the Tollgate runner for your paths' },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: tollgate <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun tollgate <command> --help for a command's options.\n`;
}

/** The whole CLI behind one function: arguments and io in, exit code out. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${TOOL_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`tollgate: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    io.stderr.write(`tollgate ${name}: ${describe(error)}\n`);
    return 2;
  }
}

/** Usage and tool errors become one line; parseArgs' own errors are already readable. */
function describe(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS')) return error.message;
  if (error instanceof Error) return `internal error: ${error.message}`;
  return `internal error: ${String(error)}`;
}
