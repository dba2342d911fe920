// `tollgate admin serve`: the account admin API (the `tollgate account` operations over HTTP) as a
// process, with the admin console page at /console/. Needs a bearer token in TOLLGATE_ADMIN_TOKEN
// and refuses to start without one. Started from --policies, it also explains requests (the why
// endpoint) with the one policy it serves. Runs until SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import { createAccounts, createEngine, resolveStoreSettings, systemClock, type EngineConfig, type StoreSettings } from '@tollgate/engine';
import { loadProject } from '@tollgate/policy';
import {
  ADMIN_BASE_PATH,
  ADMIN_TOKEN_ENV,
  AdminConfigError,
  CONSOLE_PATH,
  createAdminServer,
  jsonLineLog,
  MIN_TOKEN_LENGTH,
  openStores,
  serveUntil,
  sharedStoresOf,
  untilTerminated,
} from '@tollgate/server';
import { CliError, type CliIo, type Command } from '../io.js';
import { policyConfigOf } from '../policy-config.js';
import { readSources } from '../sources.js';
import { parseServeCommand, SERVE_OPTIONS, STORE_OPTIONS } from '../serve-command.js';

const USAGE = `usage: tollgate admin serve <store> [--host <address>] [--port <port>] [--timeout-ms <ms>]
store (one of):
  --redis-url <url> | --redis-cluster-nodes <host:port,…> | --policies <dir> [--policy <name>]
  [--key-prefix <prefix>]
Serves ${ADMIN_BASE_PATH}{account} and the console page ${CONSOLE_PATH} (default http://127.0.0.1:8791).
Clients send Authorization: Bearer <token>; the token (at least ${MIN_TOKEN_LENGTH} characters) is read
from ${ADMIN_TOKEN_ENV}. With --policies, ${ADMIN_BASE_PATH}{account}/why explains requests with the
policy chosen by --policy (or the only one there).`;

export const DEFAULT_ADMIN_PORT = 8791;

const OPTIONS = { ...STORE_OPTIONS, ...SERVE_OPTIONS } as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export const admin: Command = (args, io) => serveAdmin(args, io, untilTerminated());

/** The command with its end made explicit, so tests can stop it without signals. */
export async function serveAdmin(args: readonly string[], io: CliIo, until: Promise<void>): Promise<number> {
  const parsed = parseServeCommand(args, OPTIONS, USAGE, DEFAULT_ADMIN_PORT);
  if (parsed.kind === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { values, address, timeoutMs } = parsed;
  const token = io.env[ADMIN_TOKEN_ENV];
  if (token === undefined || token === '') throw new CliError(`${ADMIN_TOKEN_ENV} is not set: the admin API refuses to run without a bearer token (at least ${MIN_TOKEN_LENGTH} characters)`);

  const { settings, policy } = await storeSettings(values, io, timeoutMs);
  const [store] = openStores([settings]);
  if (store === undefined) throw new CliError('no store');
  try {
    const compiled = policy === undefined ? undefined : createEngine(policy, store, systemClock, { checkFacilitator: false });
    if (compiled?.ok === false) throw new CliError(compiled.errors.join('; '));
    let server;
    try {
      server = createAdminServer({
        accounts: createAccounts(store, systemClock),
        ...(compiled === undefined ? {} : { engine: compiled.engine }),
        token,
        timeoutMs,
        log: jsonLineLog(io.stderr),
      });
    } catch (error) {
      if (error instanceof AdminConfigError) throw new CliError(error.message);
      throw error;
    }
    await serveUntil(server, address.host, address.port, until, (url) => {
      io.stdout.write(`tollgate admin: listening on ${url}${ADMIN_BASE_PATH} (${store.kind})\n`);
      io.stdout.write(`tollgate admin: console at ${url}${CONSOLE_PATH}; ${policy === undefined ? 'why: start with --policies <dir> --policy <name> to explain requests' : `why explains with policy ${policy.policy}`}\n`);
    });
    return 0;
  } finally {
    await store.close();
  }
}

/** The store to serve and, from --policies, the policy the why endpoint explains with. */
async function storeSettings(values: Values, io: CliIo, timeoutMs: number): Promise<{ readonly settings: StoreSettings; readonly policy?: EngineConfig }> {
  const chosen = [values['redis-url'], values['redis-cluster-nodes'], values.policies].filter((v) => v !== undefined);
  if (chosen.length !== 1) throw new CliError(`choose the store with exactly one of --redis-url, --redis-cluster-nodes, --policies\n${USAGE}`);
  const keyPrefix = values['key-prefix'] === undefined ? {} : { keyPrefix: values['key-prefix'] };
  if (values.policies === undefined) {
    const block = values['redis-url'] !== undefined ? { kind: 'redis' as const, url: values['redis-url'] } : { kind: 'redis-cluster' as const, nodes: values['redis-cluster-nodes'] ?? '' };
    const resolved = resolveStoreSettings({ ...block, ...keyPrefix }, io.env, timeoutMs);
    if (!resolved.ok) throw new CliError(resolved.errors.join('; '));
    return { settings: resolved.settings };
  }
  const { project, diagnostics } = loadProject(await readSources([values.policies], io.cwd));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const stores = sharedStoresOf(project, io.env, timeoutMs, values.policy === undefined ? [] : [values.policy]);
  if (!stores.ok) throw new CliError(`${stores.errors.join('; ')}${errors > 0 ? ` (${errors} error(s) in ${values.policies}: run tollgate lint ${values.policies})` : ''}`);
  const [only, ...more] = stores.settings;
  if (only === undefined) throw new CliError('no policy uses a redis or redis-cluster store: the admin API needs the shared store the gateways read (a memory store lives inside each gateway process)');
  if (more.length > 0) throw new CliError('the policies use several stores: choose one with --policy <name>');
  const settings = values['key-prefix'] === undefined ? only : { ...only, keyPrefix: values['key-prefix'] };
  const [sole, ...others] = project.policies;
  const explained = values.policy ?? (sole !== undefined && others.length === 0 ? sole.value.metadata.name : undefined);
  return explained === undefined ? { settings } : { settings, policy: policyConfigOf(project, explained, values.policies) };
}
