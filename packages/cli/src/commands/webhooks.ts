// `tollgate webhooks serve`: the Stripe billing webhook endpoint as a process. Reads the policy
// files for the price → plan and customer → consumer mappings and the shared stores the accounts
// live in; the signing secret comes from STRIPE_WEBHOOK_SECRET. Runs until SIGINT or SIGTERM.
import { loadProject } from '@tollgate/policy';
import {
  BillingMapError,
  billingMapFromProject,
  createStripeWebhookServer,
  jsonLineLog,
  openStores,
  serveUntil,
  sharedStoresOf,
  STRIPE_SECRET_ENV,
  STRIPE_WEBHOOK_PATH,
  untilTerminated,
} from '@tollgate/server';
import { CliError, type CliIo, type Command } from '../io.js';
import { parseServeCommand, SERVE_OPTIONS } from '../serve-command.js';
import { readSources } from '../sources.js';

const USAGE = `usage: tollgate webhooks serve --policies <dir> [--policy <name>]… [--host <address>] [--port <port>] [--timeout-ms <ms>]
Receives Stripe events at POST ${STRIPE_WEBHOOK_PATH} (default http://127.0.0.1:8790) and applies them to
the accounts in the redis / redis-cluster stores of the policies (all of them, or those named).
The endpoint's signing secret is read from ${STRIPE_SECRET_ENV}.`;

export const DEFAULT_WEBHOOKS_PORT = 8790;

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
