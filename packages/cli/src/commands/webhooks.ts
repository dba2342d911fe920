// `tollgate webhooks serve`: the Stripe billing webhook endpoint as a process. Reads the policy
// files for the price → plan and customer → consumer mappings and the shared stores the accounts
// live in; the signing secret comes from STRIPE_WEBHOOK_SECRET. Runs until SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import { loadProject } from '@tollgate/policy';
import {
  BillingMapError,
  billingMapFromProject,
  createStripeWebhookServer,
  jsonLineLog,
  listenAddress,
  openStores,
  serveUntil,
  sharedStoresOf,
  STRIPE_SECRET_ENV,
  STRIPE_WEBHOOK_PATH,
  untilTerminated,
} from '@tollgate/server';
import { CliError, type CliIo, type Command } from '../io.js';
import { readSources } from '../sources.js';

const USAGE = `usage: tollgate webhooks serve --policies <dir> [--policy <name>]… [--host <address>] [--port <port>] [--timeout-ms <ms>]
Receives Stripe events at POST ${STRIPE_WEBHOOK_PATH} (default http://127.0.0.1:8790) and applies them to
the accounts in the redis / redis-cluster stores of the policies (all of them, or those named).
The endpoint's signing secret is read from ${STRIPE_SECRET_ENV}.`;

export const DEFAULT_WEBHOOKS_PORT = 8790;
const DEFAULT_TIMEOUT_MS = 5_000;

/** Options every server command takes. */
export const SERVE_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const OPTIONS = {
  policies: { type: 'string' },
  policy: { type: 'string', multiple: true },
  ...SERVE_OPTIONS,
} as const;

export const webhooks: Command = (args, io) => serveWebhooks(args, io, untilTerminated());

/** The command with its end made explicit, so tests can stop it without signals. */
export async function serveWebhooks(args: readonly string[], io: CliIo, until: Promise<void>): Promise<number> {
  const parsed = parseServeCommand(args, OPTIONS, USAGE, DEFAULT_WEBHOOKS_PORT);
  if (parsed.kind === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { values, address, timeoutMs } = parsed;
  const secret = io.env[STRIPE_SECRET_ENV];
  if (secret === undefined || secret === '') throw new CliError(`${STRIPE_SECRET_ENV} is not set: the webhook endpoint refuses to run without its Stripe signing secret (whsec_…)`);
  if (values.policies === undefined) throw new CliError(`--policies <dir> is required\n${USAGE}`);

  const { project, diagnostics } = loadProject(await readSources([values.policies], io.cwd));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) throw new CliError(`${errors} error(s) in ${values.policies}: fix them first (tollgate lint ${values.policies})`);
  let billing;
  try {
    billing = billingMapFromProject(project);
  } catch (error) {
    if (error instanceof BillingMapError) throw new CliError(error.message);
    throw error;
  }
  const stores = sharedStoresOf(project, io.env, timeoutMs, values.policy ?? []);
  if (!stores.ok) throw new CliError(stores.errors.join('; '));
  if (stores.memoryPolicies.length > 0) {
    io.stderr.write(`tollgate webhooks: skipping ${stores.memoryPolicies.join(', ')}: a memory store lives inside each gateway process and can't be reached from here\n`);
  }
  if (stores.settings.length === 0) throw new CliError('no policy uses a redis or redis-cluster store: billing webhooks need the shared store the gateways read');

  const opened = openStores(stores.settings);
  try {
    const server = createStripeWebhookServer({ secret, billing, stores: opened, timeoutMs, log: jsonLineLog(io.stderr) });
    await serveUntil(server, address.host, address.port, until, (url) => {
      io.stdout.write(`tollgate webhooks: listening on ${url}${STRIPE_WEBHOOK_PATH} (${opened.map((s) => s.kind).join(', ')})\n`);
    });
    return 0;
  } finally {
    await Promise.all(opened.map((s) => s.close()));
  }
}

type ServeOptions = typeof SERVE_OPTIONS & Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean; readonly short?: string }>;
type ServeValues<O extends ServeOptions> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];

/** `<command> serve [options]` as the server commands share it: --help, or where to listen and the store timeout. */
export function parseServeCommand<O extends ServeOptions>(
  args: readonly string[],
  options: O,
  usage: string,
  defaultPort: number,
): { readonly kind: 'help' } | { readonly kind: 'serve'; readonly values: ServeValues<O>; readonly address: { host: string; port: number }; readonly timeoutMs: number } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${usage}`);
  }
  const values = parsed.values as ServeValues<O> & { help?: boolean; host?: string; port?: string; 'timeout-ms'?: string };
  if (values.help === true) return { kind: 'help' };
  if (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'serve') throw new CliError(`expected "serve"\n${usage}`);
  const address = listenAddress(values.host, values.port, defaultPort);
  if (!address.ok) throw new CliError(address.error);
  const timeout = values['timeout-ms'];
  const timeoutMs = timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(timeout);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new CliError(`--timeout-ms must be a positive integer, got "${timeout ?? ''}"`);
  return { kind: 'serve', values, address: { host: address.host, port: address.port }, timeoutMs };
}
