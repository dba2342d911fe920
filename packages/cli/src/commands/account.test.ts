import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_FACTORIES } from '@tollgate/engine';
import { RedisServer, redisSkipReason } from '../../../../test/support/redis.js';
import { CliError, type CliIo } from '../io.js';
import { account } from './account.js';

function io(cwd: string, env: Record<string, string> = {}): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { cwd, env, stdout, stderr, out: () => out, err: () => err };
}

const policy = (store: string) => `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: weather }
spec:
  routes: [{ name: forecast, paths: [/v1/forecast] }]
  identity: { auth: key-auth, limitBy: consumer }
  store: ${store}
`;

function project(store: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-account-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'weather.yaml'), policy(store));
  return dir;
}

describe('tollgate account: usage and store errors', () => {
  it('explains usage errors without a stack trace', async () => {
    const cwd = project('{ kind: memory }');
    await expect(account([], io(cwd))).rejects.toThrow(CliError);
    await expect(account(['show'], io(cwd))).rejects.toThrow(/an action and an account are required/);
    await expect(account(['frobnicate', 'alice', '--redis-url', 'redis://x'], io(cwd))).rejects.toThrow(/unknown action "frobnicate"/);
    await expect(account(['grant', 'alice', 'ten', '--redis-url', 'redis://x'], io(cwd))).rejects.toThrow('amount must be a positive integer, got "ten"');
    await expect(account(['debit', 'alice', '5', '--redis-url', 'redis://x'], io(cwd))).rejects.toThrow(/debit needs --key/);
    await expect(account(['show', 'alice', '--bogus'], io(cwd))).rejects.toThrow(/Unknown option '--bogus'/);
    await expect(account(['show', 'alice'], io(cwd))).rejects.toThrow(/exactly one of --redis-url, --redis-cluster-nodes, --policies/);
    await expect(account(['set-status', 'alice', 'active', '--paid-through', 'soon', '--redis-url', 'redis://x'], io(cwd))).rejects.toThrow(
      '--paid-through must be an ISO date or instant, got "soon"',
    );
  });

  it('says clearly that the memory store cannot be reached from the CLI', async () => {
    const cwd = project('{ kind: memory }');
    await expect(account(['show', 'alice', '--policies', 'policies', '--policy', 'weather'], io(cwd))).rejects.toThrow(/memory store, which lives inside each gateway process/);
  });

  it('names a missing policy and the env reference it cannot resolve', async () => {
    const cwd = project('{ kind: redis, url: { env: TOLLGATE_REDIS_URL } }');
    await expect(account(['show', 'alice', '--policies', 'policies', '--policy', 'other'], io(cwd))).rejects.toThrow('no valid policy named "other" in policies (policies found: weather)');
    const pending = account(['show', 'alice', '--policies', 'policies', '--policy', 'weather'], io(cwd));
    await expect(pending).rejects.toThrow(STORE_FACTORIES.redis === undefined ? 'the redis store is not available in this build' : '/store/url: environment variable TOLLGATE_REDIS_URL is not set');
  });
});

const noRedisStore = STORE_FACTORIES.redis === undefined ? 'the redis store is not registered in STORE_FACTORIES yet' : redisSkipReason();
if (noRedisStore !== undefined) console.warn(`tollgate account against Redis skipped: ${noRedisStore}`);

describe.skipIf(noRedisStore !== undefined)('tollgate account against a real Redis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.close();
  });

  it('grants, debits idempotently and shows the account', async () => {
    const cwd = project('{ kind: redis, url: { env: TOLLGATE_REDIS_URL } }');
    const env = { TOLLGATE_REDIS_URL: server.url };
    const store = ['--policies', 'policies', '--policy', 'weather'];
    expect(await account(['grant', 'alice', '10', ...store], io(cwd, env))).toBe(0);
    const first = io(cwd, env);
    expect(await account(['debit', 'alice', '4', '--key', 'inv-1', '--json', ...store], first)).toBe(0);
    expect(JSON.parse(first.out())).toEqual({ account: 'alice', result: 'applied', balance: 6 });
    const again = io(cwd, env);
    expect(await account(['debit', 'alice', '4', '--key', 'inv-1', ...store], again)).toBe(0);
    expect(again.out()).toContain('already applied');
    const conflict = io(cwd, env);
    expect(await account(['debit', 'alice', '5', '--key', 'inv-1', ...store], conflict)).toBe(1);
    const shown = io(cwd, env);
    await account(['set-status', 'alice', 'active', '--paid-through', '2026-04-01', ...store], io(cwd, env));
    expect(await account(['show', 'alice', '--json', ...store], shown)).toBe(0);
    expect(JSON.parse(shown.out())).toEqual({ account: 'alice', status: 'active', paidThrough: '2026-04-01T00:00:00.000Z', credits: 6 });
  });

  it('grants credits that expire (--expires) and shows them, spent first', async () => {
    const cwd = project('{ kind: redis, url: { env: TOLLGATE_REDIS_URL } }');
    const env = { TOLLGATE_REDIS_URL: server.url };
    const store = ['--policies', 'policies', '--policy', 'weather'];
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    expect(await account(['grant', 'trial', '5', ...store], io(cwd, env))).toBe(0);
    expect(await account(['grant', 'trial', '20', '--expires', expires, '--key', 'trial-1', ...store], io(cwd, env))).toBe(0);
    expect(await account(['debit', 'trial', '8', '--key', 'use-1', ...store], io(cwd, env))).toBe(0);
    const shown = io(cwd, env);
    expect(await account(['show', 'trial', ...store], shown)).toBe(0);
    expect(shown.out()).toContain(`credits: 17\n  grants: 12 until ${expires}`);
    // A refund naming the debit gives it back to the grant it took from.
    expect(await account(['refund', 'trial', '8', '--key', 'back-1', '--debit', 'use-1', ...store], io(cwd, env))).toBe(0);
    const again = io(cwd, env);
    await account(['show', 'trial', ...store], again);
    expect(again.out()).toContain(`credits: 25\n  grants: 20 until ${expires}`);
    const unknown = io(cwd, env);
    expect(await account(['refund', 'trial', '1', '--key', 'back-2', '--debit', 'never', ...store], unknown)).toBe(1);
    expect(unknown.err()).toContain('no debit of this account was sent with that key');
    await expect(account(['refund', 'trial', '1', '--key', 'r', '--expires', expires, ...store], io(cwd, env))).rejects.toThrow('--expires is for grants only');
    await expect(account(['grant', 'trial', '1', '--expires', '2020-01-01', ...store], io(cwd, env))).rejects.toThrow(/expiresAt must be an instant after now/);
  });

  it('refuses a grant that would take the balance past 2^53 - 1, with the reason, and changes nothing', async () => {
    const cwd = project('{ kind: redis, url: { env: TOLLGATE_REDIS_URL } }');
    const env = { TOLLGATE_REDIS_URL: server.url };
    const store = ['--policies', 'policies', '--policy', 'weather'];
    expect(await account(['grant', 'whale', String(Number.MAX_SAFE_INTEGER - 1), ...store], io(cwd, env))).toBe(0);
    const refused = io(cwd, env);
    expect(await account(['grant', 'whale', '2', ...store], refused)).toBe(1);
    expect(refused.err()).toContain(`balance ${Number.MAX_SAFE_INTEGER - 1} plus the amount would pass ${Number.MAX_SAFE_INTEGER}`);
    const shown = io(cwd, env);
    await account(['show', 'whale', '--json', ...store], shown);
    expect(JSON.parse(shown.out())).toMatchObject({ credits: Number.MAX_SAFE_INTEGER - 1 });
  });
});
