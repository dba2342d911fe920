// `tollgate account show|set-plan|set-status|grant|debit|refund …`: manage account state in the
// store a policy uses (Redis or Redis Cluster; the memory store lives inside each gateway process
// and cannot be reached from here).
import {
  AccountInputError,
  createAccounts,
  MAX_CREDITS,
  MAX_OPEN_GRANTS,
  resolveStoreSettings,
  STORE_FACTORIES,
  systemClock,
  withTimeout,
  type AccountState,
  type Accounts,
  type CreditResult,
  type Store,
  type StoreSettings,
} from '@tollgate/engine';
import { loadProject, type Store as StoreBlock } from '@tollgate/policy';
import { parseCommandArgs, type ParsedCommand } from '../command-args.js';
import { CliError, type CliIo, type Command } from '../io.js';
import { DEFAULT_TIMEOUT_MS, STORE_OPTIONS } from '../serve-command.js';
import { readSources } from '../sources.js';

const USAGE = `usage: tollgate account <action> <account> [arguments] [store options]
actions:
  show <account>
  set-plan <account> <plan>            (--clear to remove the account's own plan)
  set-status <account> <status> [--paid-through <ISO>] [--anchor <ISO>]
  grant <account> <amount> [--key <idempotency key>] [--expires <ISO>]  (expiring credits: spent first, soonest-expiring first)
  debit <account> <amount> --key <idempotency key>
  refund <account> <amount> --key <idempotency key> [--debit <the debit's key>]  (back to the grants that debit took from, while open)
store options (one of):
  --redis-url <url> | --redis-cluster-nodes <host:port,…> | --policies <dir> --policy <name>
  [--key-prefix <prefix>] [--timeout-ms <ms>] [--json]
<account> is a consumer username, or ip:<address>, hdr:<value>, cred:<id>.`;

const OPTIONS = {
  ...STORE_OPTIONS,
  'timeout-ms': { type: 'string' },
  key: { type: 'string' },
  clear: { type: 'boolean' },
  'paid-through': { type: 'string' },
  anchor: { type: 'string' },
  expires: { type: 'string' },
  debit: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ParsedCommand<typeof OPTIONS>['values'];

export const account: Command = async (args, io) => {
  const parsed = parseCommandArgs(args, OPTIONS, USAGE, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  const [action, id, ...rest] = positionals;
  if (action === undefined || id === undefined) throw new CliError(`an action and an account are required\n${USAGE}`);
  const run = actionFor(action, rest, values);
  const timeoutMs = values['timeout-ms'] === undefined ? DEFAULT_TIMEOUT_MS : positiveInteger(values['timeout-ms'], '--timeout-ms');
  const store = await openStore(values, io, timeoutMs);
  try {
    const outcome = await withTimeout(run(createAccounts(store, systemClock), id), timeoutMs).catch((error: unknown) => {
      if (error instanceof AccountInputError) throw new CliError(error.message);
      throw new CliError(`${store.kind} store: ${(error as Error).message}`);
    });
    return report(outcome, id, values.json === true, io);
  } finally {
    await store.close();
  }
};

type Outcome = { readonly kind: 'account'; readonly state: AccountState } | { readonly kind: 'credits'; readonly result: CreditResult };
type Action = (accounts: Accounts, id: string) => Promise<Outcome>;

function actionFor(action: string, rest: readonly string[], values: Values): Action {
  const expect = (count: number, names: string) => {
    if (rest.length !== count) throw new CliError(`${action} takes <account> ${names}\n${USAGE}`);
  };
  const state = (promise: Promise<AccountState>): Promise<Outcome> => promise.then((s) => ({ kind: 'account', state: s }));
  switch (action) {
    case 'show':
      expect(0, '');
      return (accounts, id) => state(accounts.show(id));
    case 'set-plan': {
      if (values.clear === true) {
        expect(0, '--clear');
        return (accounts, id) => state(accounts.setPlan(id, null));
      }
      expect(1, '<plan>');
      const plan = rest[0] ?? '';
      return (accounts, id) => state(accounts.setPlan(id, plan));
    }
    case 'set-status': {
      expect(1, '<status>');
      const status = rest[0] ?? '';
      const options = {
        ...(values['paid-through'] === undefined ? {} : { paidThrough: instant(values['paid-through'], '--paid-through') }),
        ...(values.anchor === undefined ? {} : { periodAnchor: instant(values.anchor, '--anchor') }),
      };
      return (accounts, id) => state(accounts.setStatus(id, status, options));
    }
    case 'grant':
    case 'debit':
    case 'refund': {
      expect(1, '<amount>');
      const amount = positiveInteger(rest[0] ?? '', 'amount');
      const key = values.key;
      if (action !== 'grant' && key === undefined) throw new CliError(`${action} needs --key <idempotency key>: the same key never charges twice`);
      if (action !== 'grant' && values.expires !== undefined) throw new CliError(`--expires is for grants only`);
      if (action !== 'refund' && values.debit !== undefined) throw new CliError(`--debit is for refunds only`);
      const terms = {
        ...(values.expires === undefined ? {} : { expiresAt: instant(values.expires, '--expires') }),
        ...(values.debit === undefined ? {} : { debitKey: values.debit }),
      };
      return (accounts, id) => accounts.changeCredits(id, action, amount, key, terms).then((result) => ({ kind: 'credits', result }));
    }
    default:
      throw new CliError(`unknown action "${action}"\n${USAGE}`);
  }
}

async function openStore(values: Values, io: CliIo, timeoutMs: number): Promise<Store> {
  const chosen = [values['redis-url'], values['redis-cluster-nodes'], values.policies].filter((v) => v !== undefined);
  if (chosen.length !== 1) throw new CliError(`choose the store with exactly one of --redis-url, --redis-cluster-nodes, --policies\n${USAGE}`);
  const block: StoreBlock =
    values['redis-url'] !== undefined
      ? { kind: 'redis', url: values['redis-url'] }
      : values['redis-cluster-nodes'] !== undefined
        ? { kind: 'redis-cluster', nodes: values['redis-cluster-nodes'] }
        : await policyStore(values, io);
  if (block.kind === 'memory') {
    throw new CliError('this policy uses the memory store, which lives inside each gateway process: `tollgate account` cannot reach it. Use a redis or redis-cluster store to manage accounts.');
  }
  const keyPrefix = values['key-prefix'] ?? block.keyPrefix;
  const resolved = resolveStoreSettings({ ...block, ...(keyPrefix === undefined ? {} : { keyPrefix }) }, io.env, timeoutMs);
  if (!resolved.ok) throw new CliError(resolved.errors.join('\n'));
  const settings: StoreSettings = resolved.settings;
  const factory = STORE_FACTORIES[settings.kind];
  if (factory === undefined) throw new CliError(`the ${settings.kind} store is not available in this build`);
  return factory(settings);
}

async function policyStore(values: Values, io: CliIo): Promise<StoreBlock> {
  const dir = values.policies ?? '';
  const name = values.policy;
  if (name === undefined) throw new CliError('--policies needs --policy <name>: the policy whose store holds the accounts');
  const { project, diagnostics } = loadProject(await readSources([dir], io.cwd));
  const policy = project.policies.find((p) => p.value.metadata.name === name);
  if (policy === undefined) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const known = project.policies.map((p) => p.value.metadata.name).join(', ') || 'none';
    throw new CliError(`no valid policy named "${name}" in ${dir} (policies found: ${known}${errors > 0 ? `; ${errors} error(s): run tollgate lint ${dir}` : ''})`);
  }
  return policy.value.spec.store ?? { kind: 'memory' };
}

function report(outcome: Outcome, id: string, json: boolean, io: CliIo): number {
  if (outcome.kind === 'account') {
    io.stdout.write(json ? `${JSON.stringify({ account: id, ...readable(outcome.state) })}\n` : `${describeAccount(id, outcome.state)}\n`);
    return 0;
  }
  const { result } = outcome;
  if (json) {
    io.stdout.write(`${JSON.stringify({ account: id, result: result.kind, balance: result.balance })}\n`);
  } else {
    const messages: Record<CreditResult['kind'], string> = {
      applied: `${id}: done, balance ${result.balance}`,
      duplicate: `${id}: already applied with this key (nothing changed), balance ${result.balance}`,
      conflict: `${id}: this key was used for a different operation or amount (nothing changed), balance ${result.balance}`,
      insufficient: `${id}: balance ${result.balance} is below the amount (nothing changed)`,
      'out-of-range': `${id}: balance ${result.balance} plus the amount would pass ${MAX_CREDITS}, the largest balance kept exactly (nothing changed)`,
      'no-such-debit': `${id}: no debit of this account was sent with that key, or longer ago than keys are kept (nothing changed)`,
      'too-many-grants': `${id}: the account already has ${MAX_OPEN_GRANTS} open expiring grants, none expiring then (nothing changed): grant with an expiry it has, or without one`,
    };
    (result.kind === 'applied' || result.kind === 'duplicate' ? io.stdout : io.stderr).write(`${messages[result.kind]}\n`);
  }
  return result.kind === 'applied' || result.kind === 'duplicate' ? 0 : 1;
}

type ReadableGrants = readonly { readonly amount: number; readonly expiresAt: string }[];

function readable(state: AccountState): Record<string, string | number | ReadableGrants> {
  return {
    ...(state.plan === undefined ? {} : { plan: state.plan }),
    ...(state.status === undefined ? {} : { status: state.status }),
    ...(state.paidThrough === undefined ? {} : { paidThrough: new Date(state.paidThrough).toISOString() }),
    ...(state.periodAnchor === undefined ? {} : { periodAnchor: new Date(state.periodAnchor).toISOString() }),
    credits: state.credits,
    ...(state.grants === undefined ? {} : { grants: state.grants.map((g) => ({ amount: g.amount, expiresAt: new Date(g.expiresAt).toISOString() })) }),
  };
}

function describeAccount(id: string, state: AccountState): string {
  const fields = readable(state);
  const text = (value: string | number | ReadableGrants) => (typeof value === 'object' ? value.map((g) => `${g.amount} until ${g.expiresAt}`).join(', ') : String(value));
  return [`account ${id}`, ...Object.entries(fields).map(([k, v]) => `  ${k}: ${text(v)}`)].join('\n');
}

function positiveInteger(text: string, what: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value <= 0) throw new CliError(`${what} must be a positive integer, got "${text}"`);
  return value;
}

function instant(text: string, what: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) throw new CliError(`${what} must be an ISO date or instant, got "${text}"`);
  return ms;
}
