// `tollgate meter ship`: ships the usage outbox of the policies' Redis stores to Stripe Meters
// and/or OpenMeter until SIGINT or SIGTERM (@tollgate/metering does the work). Keys come from the
// environment only and are never printed.
import { hostname } from 'node:os';
import { accountId, DEFAULT_KEY_PREFIX, startMetricsServer, type StoreSettings, type UsageMeter, USAGE_METERS } from '@tollgate/engine';
import { OpenMeterSink, RedisOutbox, Shipper, shipperMetrics, StripeSink, type Sink } from '@tollgate/metering';
import { loadProject } from '@tollgate/policy';
import { jsonLineLog, sharedStoresOf, untilTerminated } from '@tollgate/server';
import { parseCommandArgs } from '../command-args.js';
import { CliError, type CliIo, type Command } from '../io.js';
import { readSources } from '../sources.js';

export const STRIPE_API_KEY_ENV = 'STRIPE_API_KEY';
export const OPENMETER_TOKEN_ENV = 'OPENMETER_TOKEN';

const USAGE = `usage: tollgate meter ship (--policies <dir> [--policy <name>]… | --redis-url <url> | --redis-cluster-nodes <host:port,…> [--key-prefix <p>])
    [--stripe-event <meter>=<event name>]… [--stripe-customer-key <key>] [--stripe-api-base <url>]
    [--openmeter-url <url>] [--consumer <name>] [--batch <n>] [--poll-ms <ms>] [--discover-ms <ms>] [--claim-idle-ms <ms>]
    [--metrics-host <address>] [--metrics-port <port>]
Ships the usage outbox (meters: ${USAGE_METERS.join(', ')}) to Stripe Meters (with --stripe-event; secret key in
${STRIPE_API_KEY_ENV}; the Stripe customer of an account is its consumer's customId in --policies) and/or
OpenMeter (with --openmeter-url; API token in ${OPENMETER_TOKEN_ENV}). Several shippers may run at once.
Prometheus metrics and /healthz on --metrics-port (default 9466; 0 = none).`;

const OPTIONS = {
  policies: { type: 'string' },
  policy: { type: 'string', multiple: true },
  'redis-url': { type: 'string' },
  'redis-cluster-nodes': { type: 'string' },
  'key-prefix': { type: 'string' },
  'stripe-event': { type: 'string', multiple: true },
  'stripe-customer-key': { type: 'string' },
  'stripe-api-base': { type: 'string' },
  'openmeter-url': { type: 'string' },
  consumer: { type: 'string' },
  batch: { type: 'string' },
  'poll-ms': { type: 'string' },
  'discover-ms': { type: 'string' },
  'claim-idle-ms': { type: 'string' },
  'metrics-host': { type: 'string' },
  'metrics-port': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = NonNullable<ReturnType<typeof parseCommandArgs<typeof OPTIONS>>>['values'];

export const meter: Command = (args, io) => shipMeters(args, io, untilTerminated());

/** The command with its end made explicit, so tests can stop it without signals. */
export async function shipMeters(args: readonly string[], io: CliIo, until: Promise<void>): Promise<number> {
  const parsed = parseCommandArgs(args, OPTIONS, USAGE, io);
  if (parsed === undefined) return 0;
  if (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'ship') throw new CliError(`expected "ship"\n${USAGE}`);
  const { values } = parsed;
  const { settings, customers } = await storesAndCustomers(values, io);
  const sinks = sinksOf(values, io, customers);
  const log = jsonLineLog(io.stderr);
  const metrics = shipperMetrics(sinks.map((sink) => sink.name));
  const consumer = values.consumer ?? `${hostname()}-${process.pid}`;
  const outboxes = settings.map((s) => new RedisOutbox(s, consumer, integer(values['claim-idle-ms'], 60_000, '--claim-idle-ms')));
  const shipper = new Shipper({
    outboxes,
    sinks,
    metrics,
    batchSize: integer(values.batch, 100, '--batch'),
    pollMs: integer(values['poll-ms'], 1000, '--poll-ms'),
    discoverMs: integer(values['discover-ms'], 10_000, '--discover-ms'),
    maxBackoffMs: 60_000,
    log: (entry) => {
      log({ ...entry, consumer });
    },
  });
  const metricsPort = integer(values['metrics-port'], 9466, '--metrics-port', true);
  const endpoint = metricsPort === 0 ? undefined : startMetricsServer(metrics.registry, values['metrics-host'] ?? '127.0.0.1', metricsPort, (message) => io.stderr.write(`${message}\n`));
  const port = await endpoint?.listening;
  io.stdout.write(`tollgate meter: shipping ${outboxes.map((o) => o.label).join(', ')} to ${sinks.map((s) => s.name).join(', ')} as ${consumer}${port === undefined ? '' : ` (metrics on ${String(port)})`}\n`);
  const running = shipper.run();
  await until;
  shipper.stop();
  await running;
  await endpoint?.close();
  await Promise.all(outboxes.map((o) => o.close()));
  return 0;
}

async function storesAndCustomers(values: Values, io: CliIo): Promise<{ settings: StoreSettings[]; customers: Map<string, string> }> {
  const customers = new Map<string, string>();
  const keyPrefix = values['key-prefix'] ?? DEFAULT_KEY_PREFIX;
  const direct: StoreSettings[] = [];
  if (values['redis-url'] !== undefined) direct.push({ kind: 'redis', url: values['redis-url'], keyPrefix, timeoutMs: 0 });
  if (values['redis-cluster-nodes'] !== undefined) direct.push({ kind: 'redis-cluster', nodes: values['redis-cluster-nodes'].split(','), keyPrefix, timeoutMs: 0 });
  if (values.policies === undefined) {
    if (direct.length === 0) throw new CliError(`--policies <dir>, --redis-url or --redis-cluster-nodes is required\n${USAGE}`);
    return { settings: direct, customers };
  }
  const { project, diagnostics } = loadProject(await readSources([values.policies], io.cwd));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) throw new CliError(`${errors} error(s) in ${values.policies}: fix them first (tollgate lint ${values.policies})`);
  for (const doc of project.consumers) for (const c of doc.value.spec.consumers) if (c.customId !== undefined) customers.set(accountId(c.name), c.customId);
  const stores = sharedStoresOf(project, io.env, 0, values.policy ?? []);
  if (!stores.ok) throw new CliError(stores.errors.join('; '));
  const settings = [...direct, ...stores.settings];
  if (settings.length === 0) throw new CliError('no policy uses a redis or redis-cluster store: a memory store\'s outbox lives inside each gateway process');
  return { settings, customers };
}

function sinksOf(values: Values, io: CliIo, customers: ReadonlyMap<string, string>): Sink[] {
  const sinks: Sink[] = [];
  const events = values['stripe-event'] ?? [];
  if (events.length > 0) {
    const apiKey = io.env[STRIPE_API_KEY_ENV];
    if (apiKey === undefined || apiKey === '') throw new CliError(`${STRIPE_API_KEY_ENV} is not set: shipping to Stripe needs the secret key (sk_… or rk_…)`);
    const eventNames: Partial<Record<UsageMeter, string>> = {};
    for (const pair of events) {
      const [name, eventName] = pair.split('=', 2);
      if (!USAGE_METERS.includes(name as UsageMeter) || eventName === undefined || eventName === '') throw new CliError(`--stripe-event expects <meter>=<event name> with meter one of ${USAGE_METERS.join(', ')}, got "${pair}"`);
      eventNames[name as UsageMeter] = eventName;
    }
    const base = values['stripe-api-base'] === undefined ? undefined : new URL(values['stripe-api-base']);
    sinks.push(
      new StripeSink({
        apiKey,
        eventNames,
        customerOf: (account) => customers.get(account),
        ...(values['stripe-customer-key'] === undefined ? {} : { customerKey: values['stripe-customer-key'] }),
        ...(base === undefined ? {} : { host: base.hostname, port: Number(base.port || (base.protocol === 'http:' ? 80 : 443)), protocol: base.protocol === 'http:' ? 'http' : 'https' }),
      }),
    );
  }
  if (values['openmeter-url'] !== undefined) {
    const token = io.env[OPENMETER_TOKEN_ENV];
    if (token === undefined || token === '') throw new CliError(`${OPENMETER_TOKEN_ENV} is not set: shipping to OpenMeter needs its API token`);
    sinks.push(new OpenMeterSink({ url: values['openmeter-url'], token }));
  }
  if (sinks.length === 0) throw new CliError(`nothing to ship to: give --stripe-event and/or --openmeter-url\n${USAGE}`);
  return sinks;
}

function integer(text: string | undefined, fallback: number, option: string, zeroAllowed = false): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < (zeroAllowed ? 0 : 1)) throw new CliError(`${option} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer, got "${text}"`);
  return value;
}
