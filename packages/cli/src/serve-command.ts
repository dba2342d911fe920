// What the long-running server commands (`webhooks serve`, `admin serve`) and `account` share:
// option tables and the parsing of `<command> serve [options]`.
import { parseArgs } from 'node:util';
import { listenAddress } from '@tollgate/server';
import { CliError } from './io.js';

/** Store calls from the CLI and its servers wait this long by default (a person or Stripe is waiting, not a gateway). */
export const DEFAULT_TIMEOUT_MS = 5_000;

/** Where account state lives: a Redis URL, cluster nodes, or a policy's store block. */
export const STORE_OPTIONS = {
  'redis-url': { type: 'string' },
  'redis-cluster-nodes': { type: 'string' },
  policies: { type: 'string' },
  policy: { type: 'string' },
  'key-prefix': { type: 'string' },
} as const;

/** Options every server command takes. */
export const SERVE_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

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
