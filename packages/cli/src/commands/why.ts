// `tollgate why <account> <METHOD> <path>`: what the policy would answer this account's request
// right now, and why, with every number it decides on — changing nothing. The engine explains
// (Engine.explain: its own identity, route rules and decision code on the store's read-only
// previewAdmit); this command builds the request facts, opens the policy's store (or a memory
// store seeded from --state) and prints the explanation.
import { readFile } from 'node:fs/promises';
import {
  createAccounts,
  createEngine,
  explainTrace,
  ManualClock,
  resolveStoreSettings,
  STORE_FACTORIES,
  systemClock,
  whyFacts,
  withTimeout,
  type EngineConfig,
  type Explanation,
  type Store,
} from '@tollgate/engine';
import { loadProject } from '@tollgate/policy';
import { parseCommandArgs, type ParsedCommand } from '../command-args.js';
import { CliError, type CliIo, type Command } from '../io.js';
import { policyConfigOf } from '../policy-config.js';
import { DEFAULT_TIMEOUT_MS } from '../serve-command.js';
import { readSources } from '../sources.js';
import { formatExplanation } from './why-format.js';

const USAGE = `usage: tollgate why <account> <METHOD> <path> --policies <dir> --policy <name> [options]
  <account>                a consumer username, or ip:<address>, hdr:<value>, cred:<id>
  --header <name:value>    a request header (repeatable)
  --host <host>            the request's Host
  --credential <id>        the credential id the consumer authenticated with
  --state <file.json>      memory-store policies: the accounts to explain against
                           ({ "accounts": { "<id>": { plan, status, paidThrough, periodAnchor, credits } } })
  --redis-url <url> | --redis-cluster-nodes <host:port,…>   instead of the policy's store settings
  --key-prefix <prefix>  --at <ISO instant>  --timeout-ms <ms>  --json
Exit code: 0 the request would be allowed, 1 refused, 2 usage or store error. Nothing is written.`;

const OPTIONS = {
  policies: { type: 'string' },
  policy: { type: 'string' },
  header: { type: 'string', multiple: true },
  host: { type: 'string' },
  credential: { type: 'string' },
  state: { type: 'string' },
  'redis-url': { type: 'string' },
  'redis-cluster-nodes': { type: 'string' },
  'key-prefix': { type: 'string' },
  at: { type: 'string' },
  'timeout-ms': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ParsedCommand<typeof OPTIONS>['values'];

export const why: Command = async (args, io) => {
  const parsed = parseCommandArgs(args, OPTIONS, USAGE, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [account, method, path, ...extra] = positionals;
  if (account === undefined || method === undefined || path === undefined || extra.length > 0) throw new CliError(`expected <account> <METHOD> <path>\n${USAGE}`);
  if (!path.startsWith('/')) throw new CliError(`the path must start with "/", got "${path}"`);
  const timeoutMs = values['timeout-ms'] === undefined ? DEFAULT_TIMEOUT_MS : Number(values['timeout-ms']);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new CliError(`--timeout-ms must be a positive integer, got "${values['timeout-ms'] ?? ''}"`);
  const at = values.at === undefined ? undefined : Date.parse(values.at);
  if (at !== undefined && Number.isNaN(at)) throw new CliError(`--at must be an ISO instant, got "${values.at ?? ''}"`);

  const config = await policyConfig(values, io);
  const facts = whyFacts(
    { account, method, path, headers: headerOptions(values), ...(values.host === undefined ? {} : { host: values.host }), ...(values.credential === undefined ? {} : { credential: values.credential }) },
    config,
  );
  const store = await openStore(config, values, io, timeoutMs);
  try {
    // A preview changes nothing and sends nothing: no webhooks, no signing secret needed.
    const compiled = createEngine(config, store, at === undefined ? systemClock : new ManualClock(at), { notify: false, checkFacilitator: false });
    if (!compiled.ok) throw new CliError(compiled.errors.join('\n'));
    const trace = await withTimeout(compiled.engine.explain(facts), timeoutMs).catch((error: unknown) => {
      throw new CliError(`${store.kind} store: ${(error as Error).message}`);
    });
    const explanation: Explanation = explainTrace(trace);
    io.stdout.write(values.json === true ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
    return explanation.decision.kind === 'allow' ? 0 : 1;
  } finally {
    await store.close();
  }
};

async function policyConfig(values: Values, io: CliIo): Promise<EngineConfig> {
  const dir = values.policies;
  const name = values.policy;
  if (dir === undefined || name === undefined) throw new CliError(`--policies <dir> and --policy <name> are required\n${USAGE}`);
  const { project, diagnostics } = loadProject(await readSources([dir], io.cwd));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) throw new CliError(`${dir} has ${errors} error(s): run tollgate lint ${dir}`);
  return policyConfigOf(project, name, dir);
}

/** The --header options as a header map, for whyFacts. */
function headerOptions(values: Values): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new CliError(`--header takes name:value, got "${header}"`);
    headers[header.slice(0, colon)] = header.slice(colon + 1);
  }
  return headers;
}

async function openStore(config: EngineConfig, values: Values, io: CliIo, timeoutMs: number): Promise<Store> {
  const redisUrl = values['redis-url'];
  const nodes = values['redis-cluster-nodes'];
  if (redisUrl !== undefined && nodes !== undefined) throw new CliError('choose at most one of --redis-url and --redis-cluster-nodes');
  const block = redisUrl !== undefined ? { kind: 'redis' as const, url: redisUrl } : nodes !== undefined ? { kind: 'redis-cluster' as const, nodes } : config.store;
  if (block.kind === 'memory') return memoryStoreFrom(values.state, io);
  if (values.state !== undefined) throw new CliError(`--state is for memory-store policies; this one reads its ${block.kind} store`);
  const keyPrefix = values['key-prefix'] ?? block.keyPrefix;
  const resolved = resolveStoreSettings({ ...block, ...(keyPrefix === undefined ? {} : { keyPrefix }) }, io.env, timeoutMs);
  if (!resolved.ok) throw new CliError(resolved.errors.join('\n'));
  const factory = STORE_FACTORIES[resolved.settings.kind];
  if (factory === undefined) throw new CliError(`the ${resolved.settings.kind} store is not available in this build`);
  return factory(resolved.settings);
}

interface StateAccount {
  readonly plan?: string;
  readonly status?: string;
  readonly paidThrough?: string;
  readonly periodAnchor?: string;
  readonly credits?: number;
}

/** A memory store holding the accounts of a --state file (a memory store's counters live in its gateway process: they start empty here). */
async function memoryStoreFrom(file: string | undefined, io: CliIo): Promise<Store> {
  const store = (STORE_FACTORIES.memory as NonNullable<(typeof STORE_FACTORIES)['memory']>)({ kind: 'memory', keyPrefix: '', timeoutMs: 0 });
  if (file === undefined) return store;
  const text = await readFile(new URL(file, `file://${io.cwd}/`), 'utf8').catch(() => {
    throw new CliError(`cannot read --state ${file}`);
  });
  let state: { accounts?: Record<string, StateAccount> };
  try {
    state = JSON.parse(text) as typeof state;
  } catch (error) {
    throw new CliError(`--state ${file}: ${(error as Error).message}`);
  }
  const accounts = createAccounts(store, systemClock);
  for (const [id, a] of Object.entries(state.accounts ?? {})) {
    const where = `--state ${file}: accounts.${id}`;
    const paidThrough = instant(a.paidThrough, where);
    const periodAnchor = instant(a.periodAnchor, where);
    try {
      if (a.plan !== undefined) await accounts.setPlan(id, a.plan);
      if (a.status !== undefined) await accounts.setStatus(id, a.status, { ...(paidThrough === undefined ? {} : { paidThrough }), ...(periodAnchor === undefined ? {} : { periodAnchor }) });
      if (a.credits !== undefined && a.credits > 0) await accounts.changeCredits(id, 'grant', a.credits);
    } catch (error) {
      throw new CliError(`${where}: ${(error as Error).message}`);
    }
  }
  return store;
}

function instant(text: string | undefined, where: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new CliError(`${where}: "${text}" is not an ISO instant`);
  return ms;
}
