// The two server commands, `tollgate admin serve` and `tollgate webhooks serve`, run in-process
// (stopped through their `until` promise instead of a signal) against a real redis-server.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_FACTORIES } from '@tollgate/engine';
import { RedisServer, redisSkipReason } from '../../../../test/support/redis.js';
import { SECRET, signed, subscriptionEvent } from '../../../server/src/test-support/stripe-events.js';
import { CliError, type CliIo } from '../io.js';
import { serveAdmin } from './admin.js';
import { serveWebhooks } from './webhooks.js';

const REPO = join(import.meta.dirname, '../../../..');
const TOKEN = 'cli-admin-token-0123456789';
const never = new Promise<void>(() => undefined);

function io(cwd: string, env: Record<string, string> = {}): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { cwd, env, stdout, stderr, out: () => out, err: () => err };
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-serve-'));
  mkdirSync(join(dir, 'policies'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'policies', name), text);
  return dir;
}

const policy = (store: string) =>
  `apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: { name: weather }\nspec:\n  routes: [{ name: forecast, paths: [/v1/forecast] }]\n  identity: { auth: key-auth, limitBy: consumer }\n  store: ${store}\n`;

/** Waits for the command's "listening on <url>" line. */
async function listeningOn(cli: ReturnType<typeof io>): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const url = /listening on (\S+)/.exec(cli.out())?.[1];
    if (url !== undefined) return url;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`server did not start: ${cli.err()}`);
}

/** An `until` promise and the function that resolves it. */
function stopper(): { until: Promise<void>; stop: () => void } {
  let stop: () => void = () => undefined;
  const until = new Promise<void>((resolve) => (stop = resolve));
  return { until, stop };
}

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

describe('tollgate admin serve: refusing to start', () => {
  const cwd = project({ 'weather.yaml': policy('{ kind: memory }') });

  it.each([
    ['without a token', {}, /^TOLLGATE_ADMIN_TOKEN is not set: the admin API refuses to run without a bearer token/],
    ['with an empty token', { TOLLGATE_ADMIN_TOKEN: '' }, /TOLLGATE_ADMIN_TOKEN is not set/],
  ])('refuses %s, in one line', async (_, env, message) => {
    const error = await serveAdmin(['serve', '--redis-url', 'redis://127.0.0.1:1'], io(cwd, env), never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(message);
    expect((error as CliError).message).not.toContain('\n');
  });

  it('refuses a short token before serving anything', async () => {
    await expect(serveAdmin(['serve', '--redis-url', 'redis://127.0.0.1:1'], io(cwd, { TOLLGATE_ADMIN_TOKEN: 'short' }), never)).rejects.toThrow(/at least 16 characters/);
  });

  it('needs exactly one store, and not a memory one', async () => {
    const env = { TOLLGATE_ADMIN_TOKEN: TOKEN };
    await expect(serveAdmin(['serve'], io(cwd, env), never)).rejects.toThrow(/exactly one of --redis-url/);
    await expect(serveAdmin(['serve', '--policies', 'policies'], io(cwd, env), never)).rejects.toThrow(/memory store lives inside each gateway process/);
    await expect(serveAdmin(['serve', '--policies', 'policies', '--policy', 'other'], io(cwd, env), never)).rejects.toThrow(/no valid policy named "other"/);
    await expect(serveAdmin(['serve', '--redis-url', 'redis://x', '--port', 'http'], io(cwd, env), never)).rejects.toThrow(/--port must be 0–65535/);
    await expect(serveAdmin(['status'], io(cwd, env), never)).rejects.toThrow(/expected "serve"/);
  });
});

describe.skipIf(skip !== undefined)('tollgate admin serve: on a real Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('serves the account operations with the token from the environment, then stops cleanly', async () => {
    const cwd = project({ 'weather.yaml': policy('{ kind: redis, url: { env: TOLLGATE_REDIS_URL } }') });
    const cli = io(cwd, { TOLLGATE_ADMIN_TOKEN: TOKEN, TOLLGATE_REDIS_URL: redis.url });
    const { until, stop } = stopper();
    const running = serveAdmin(['serve', '--policies', 'policies', '--port', '0', '--key-prefix', 'admin-test'], cli, until);
    const base = (await listeningOn(cli)).replace(/\/v1\/accounts\/$/, '');
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

    expect((await fetch(`${base}/v1/accounts/alice`)).status).toBe(401);
    const grant = await fetch(`${base}/v1/accounts/alice/credits/grant`, { method: 'POST', headers: { ...auth, 'idempotency-key': '"g1"' }, body: JSON.stringify({ amount: 25 }) });
    expect(await grant.json()).toEqual({ account: 'alice', operation: 'grant', result: 'applied', balance: 25 });
    await fetch(`${base}/v1/accounts/alice/status`, { method: 'PUT', headers: auth, body: JSON.stringify({ status: 'active', paidThrough: '2030-01-01T00:00:00Z' }) });
    expect(await (await fetch(`${base}/v1/accounts/alice`, { headers: auth })).json()).toEqual({ account: 'alice', status: 'active', paidThrough: '2030-01-01T00:00:00.000Z', credits: 25 });

    stop();
    expect(await running).toBe(0);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});

describe('tollgate webhooks serve: refusing to start', () => {
  it('refuses without the Stripe signing secret, in one line', async () => {
    const error = await serveWebhooks(['serve', '--policies', 'policies/weather-api'], io(REPO), never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(/^STRIPE_WEBHOOK_SECRET is not set/);
    expect((error as CliError).message).not.toContain('\n');
  });

  it('refuses policies with errors, stores it cannot reach, and unresolved env references', async () => {
    const env = { STRIPE_WEBHOOK_SECRET: SECRET };
    const broken = project({ 'p.yaml': policy('{ kind: memory }').replace('routes:', 'routez:') });
    await expect(serveWebhooks(['serve', '--policies', 'policies'], io(broken, env), never)).rejects.toThrow(/error\(s\) in policies: fix them first/);
    const memory = project({ 'p.yaml': policy('{ kind: memory }') });
    const cli = io(memory, env);
    await expect(serveWebhooks(['serve', '--policies', 'policies'], cli, never)).rejects.toThrow(/no policy uses a redis or redis-cluster store/);
    expect(cli.err()).toMatch(/skipping weather: a memory store lives inside each gateway process/);
    await expect(serveWebhooks(['serve', '--policies', 'policies/weather-api'], io(REPO, env), never)).rejects.toThrow(/policy weather-api: \/store\/url: environment variable TOLLGATE_REDIS_URL is not set/);
    await expect(serveWebhooks(['serve'], io(REPO, env), never)).rejects.toThrow(/--policies <dir> is required/);
  });

  it('refuses policy files that map one Stripe price to two plans', async () => {
    const plans = (name: string) => `apiVersion: tollgate.dev/v1\nkind: Plans\nmetadata: { name: ${name} }\nspec:\n  plans:\n    ${name}: { billing: { stripePriceIds: [price_1Same] } }\n`;
    const dir = project({ 'a.yaml': plans('gold'), 'b.yaml': plans('silver') });
    await expect(serveWebhooks(['serve', '--policies', 'policies'], io(dir, { STRIPE_WEBHOOK_SECRET: SECRET }), never)).rejects.toThrow('billing mapping: Stripe price price_1Same is listed by plans "gold" and "silver"');
  });
});

describe.skipIf(skip !== undefined)('tollgate webhooks serve: the weather-api example on a real Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('applies a signed subscription event to the account in Redis once, then stops cleanly', async () => {
    const cli = io(REPO, { STRIPE_WEBHOOK_SECRET: SECRET, TOLLGATE_REDIS_URL: redis.url });
    const { until, stop } = stopper();
    const running = serveWebhooks(['serve', '--policies', 'policies/weather-api', '--port', '0'], cli, until);
    const endpoint = await listeningOn(cli);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/stripe$/);

    const body = JSON.stringify(subscriptionEvent({ id: 'evt_cli_1', type: 'customer.subscription.created', prices: ['price_1WeatherProYearly'] }));
    const deliver = () => fetch(endpoint, { method: 'POST', headers: { 'stripe-signature': signed(body), 'content-type': 'application/json' }, body }).then((r) => r.json());
    expect(await deliver()).toEqual({ received: true, outcome: 'applied', account: 'acme-weather' });
    expect(await deliver()).toEqual({ received: true, outcome: 'duplicate', account: 'acme-weather' });

    const store = STORE_FACTORIES.redis?.({ kind: 'redis', url: redis.url, keyPrefix: 'tollgate', timeoutMs: 2_000 });
    expect(await store?.getAccount('acme-weather')).toMatchObject({ plan: 'pro', status: 'active', paidThrough: 1_771_113_600_000 });
    await store?.close();
    expect(cli.err()).toMatch(/"message":"stripe webhook: customer.subscription.created evt_cli_1 applied to acme-weather"/);

    stop();
    expect(await running).toBe(0);
  });
});
