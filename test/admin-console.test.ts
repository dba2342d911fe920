// The admin console end to end in headless Chromium (Debian's chromium driven by playwright-core):
// the real admin server with the weather-api policy from policies/ — in-process on a memory store,
// and as `tollgate admin serve` on a real redis-server — the page served by it, a token typed in.
// Every number the page shows is checked against the store, read independently by the test: the
// account as `Accounts.show` returns it, the usage bars as the store's counters stand (three
// requests sent: 3 used, nothing counted for the request the why form explains).
import { PassThrough } from 'node:stream';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccounts,
  createEngine,
  createMemoryStore,
  explainTrace,
  resolveStoreSettings,
  STORE_FACTORIES,
  systemClock,
  whyFacts,
  type Engine,
  type EngineConfig,
  type Explanation,
  type Store,
  type UsageReport,
} from '../packages/engine/src/index.js';
import { loadProject } from '../packages/policy/src/index.js';
import { CONSOLE_CSP, createAdminServer } from '../packages/server/src/index.js';
import { listen } from '../packages/server/src/test-support/listen.js';
import { serveAdmin } from '../packages/cli/src/commands/admin.js';
import { policyConfigOf } from '../packages/cli/src/policy-config.js';
import { readSources } from '../packages/cli/src/sources.js';
import { chromiumPath, chromiumSkipReason } from './support/chromium.js';
import { redisSkipReason, useRedisServer } from './support/redis.js';

const REPO = new URL('../', import.meta.url).pathname;
const TOKEN = 'console-e2e-token-0123456789';
const ACCOUNT = 'acme';
const DAY_MS = 86_400_000;

const browserSkip = chromiumSkipReason();
const redisSkip = redisSkipReason();
for (const reason of [browserSkip, redisSkip]) if (reason !== undefined) console.warn(reason);

async function weatherConfig(): Promise<EngineConfig> {
  const { project } = loadProject(await readSources(['policies/weather-api'], REPO));
  return policyConfigOf(project, 'weather-api', 'policies/weather-api');
}

/** A served console and the test's own view of the same store. */
interface Served {
  readonly url: string;
  readonly store: Store;
  readonly engine: Engine;
  stop(): Promise<void>;
}

async function inProcessOnMemory(): Promise<Served> {
  const config = await weatherConfig();
  const store = createMemoryStore();
  const compiled = createEngine(config, store, systemClock);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  const server = await listen(createAdminServer({ accounts: createAccounts(store, systemClock), engine: compiled.engine, token: TOKEN }));
  return { url: server.url, store, engine: compiled.engine, stop: () => server.close() };
}

/** `tollgate admin serve --policies policies/weather-api` on redis, and a store of the test's own on the same server. */
async function cliOnRedis(redisUrl: string): Promise<Served> {
  const env = { TOLLGATE_ADMIN_TOKEN: TOKEN, TOLLGATE_REDIS_URL: redisUrl };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let stopServer: () => void = () => undefined;
  const until = new Promise<void>((resolve) => (stopServer = resolve));
  const running = serveAdmin(['serve', '--policies', 'policies/weather-api', '--port', '0'], { cwd: REPO, env, stdout, stderr }, until);
  let url: string | undefined;
  for (let i = 0; i < 200 && url === undefined; i++) {
    url = /console at (\S+)\/console\//.exec(out)?.[1];
    if (url === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  if (url === undefined) throw new Error(`admin serve did not start: ${out}`);
  const config = await weatherConfig();
  const settings = resolveStoreSettings(config.store, env, 2_000);
  if (!settings.ok) throw new Error(settings.errors.join('\n'));
  const store = STORE_FACTORIES.redis!(settings.settings);
  const compiled = createEngine(config, store, systemClock);
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return {
    url,
    store,
    engine: compiled.engine,
    stop: async () => {
      stopServer();
      await running;
      await store.close();
    },
  };
}

const explain = async (engine: Engine, path: string): Promise<Explanation> => explainTrace(await engine.explain(whyFacts({ account: ACCOUNT, method: 'GET', path }, engine.config)));
const usageNow = async (engine: Engine): Promise<UsageReport> => (await engine.usage(whyFacts({ account: ACCOUNT, method: 'GET', path: '/' }, engine.config))) as UsageReport;

/** Empties a result region, so that waiting for the next result never finds the previous one. */
const clear = (page: Page, selector: string) => page.locator(selector).evaluate('(node) => node.replaceChildren()');

async function lookUp(page: Page, path: string): Promise<void> {
  await page.getByLabel('Account', { exact: true }).fill(ACCOUNT);
  await page.getByLabel('Path').fill(path);
  await clear(page, '#why-result');
  await page.getByRole('button', { name: 'Look up and explain' }).click();
  await page.locator('#why-result h3, #why-result .problem').first().waitFor();
}

const attribute = async (page: Page, selector: string, name: string) => Number(await page.locator(selector).getAttribute(name));

const cases = [
  { name: 'memory store, in process', skip: browserSkip, start: () => inProcessOnMemory() },
  { name: 'redis store, tollgate admin serve', skip: browserSkip ?? redisSkip, start: () => cliOnRedis(redis.server.url) },
];
const redis = useRedisServer();

describe.each(cases)('admin console in Chromium: $name', ({ skip, start }) => {
  let browser: Browser;
  let served: Served;
  let page: Page;
  const pageErrors: string[] = [];
  const paidThrough = Date.now() + 10 * DAY_MS;
  const trialEnds = Date.now() + 5 * DAY_MS;

  beforeAll(async () => {
    if (skip !== undefined) return;
    served = await start();
    const accounts = createAccounts(served.store, systemClock);
    await accounts.setPlan(ACCOUNT, 'free');
    await accounts.setStatus(ACCOUNT, 'active', { paidThrough });
    // 40 credits, 5 of them expiring: the console lists the expiring part.
    await accounts.changeCredits(ACCOUNT, 'grant', 35, 'seed-grant');
    await accounts.changeCredits(ACCOUNT, 'grant', 5, 'seed-trial', { expiresAt: trialEnds });
    for (let i = 0; i < 3; i++) expect((await served.engine.decide(whyFacts({ account: ACCOUNT, method: 'GET', path: '/v1/forecast' }, served.engine.config))).kind).toBe('allow');
    browser = await chromium.launch({ executablePath: chromiumPath() });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Failed loads (the 401s, the dropped answer) are logged as errors too; CSP violations are what matter here.
    page.on('console', (message) => {
      if (message.type() === 'error' && message.text().includes('Content Security Policy')) pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    if (skip !== undefined) return;
    await browser.close();
    await served.stop();
  });

  it.skipIf(skip !== undefined)('serves the page without a token, under a strict CSP', async () => {
    const response = await page.goto(`${served.url}/console/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe(CONSOLE_CSP);
    await expect(page.getByRole('heading', { name: 'Tollgate admin console' }).isVisible()).resolves.toBe(true);
    await page.getByLabel(/Bearer token/).fill(TOKEN);
    await page.getByRole('button', { name: 'Use token' }).click();
    await expect(page.locator('#token-state').textContent()).resolves.toBe('A token is set for this tab.');
  });

  it.skipIf(skip !== undefined)('looks up the account: plan, subscription with grace, usage and credits as bars with the store numbers', async () => {
    const before = await usageNow(served.engine);
    await lookUp(page, '/v1/forecast');
    const after = await usageNow(served.engine);
    const shown = (field: string) => page.locator(`[data-field="${field}"]`).textContent();
    await expect(shown('plan')).resolves.toBe('free');
    await expect(shown('status')).resolves.toBe('active');
    await expect(shown('paidThrough')).resolves.toBe(new Date(paidThrough).toISOString());
    await expect(shown('graceUntil')).resolves.toBe(new Date(paidThrough + 3 * DAY_MS).toISOString()); // graceDays: 3
    await expect(shown('credits')).resolves.toBe('40');
    await expect(shown('grants')).resolves.toBe(`5 until ${new Date(trialEnds).toISOString()}`);
    await expect(shown('decision')).resolves.toBe('ALLOW 200');

    // Three requests were sent: the bars show 3, not the 4 the why dry run counts with its own request.
    expect((await explain(served.engine, '/v1/forecast')).quotas).toEqual([expect.objectContaining({ unit: 'requests', used: 4 })]);
    expect(before.quotas).toEqual(after.quotas);
    expect(after.quotas).toEqual([expect.objectContaining({ unit: 'requests', used: 3, limit: 1000 })]);
    const quota = page.locator('[data-quota="requests"]');
    await expect(attribute(page, '[data-quota="requests"] meter', 'value')).resolves.toBe(3);
    await expect(attribute(page, '[data-quota="requests"] meter', 'max')).resolves.toBe(1000);
    await expect(quota.locator('.numbers').textContent()).resolves.toBe(`3 of 1000 used; period ends ${after.quotas[0]?.resetAt}`);
    expect(after.rateLimits.map((w) => w.window)).toEqual(['second', 'minute']);
    for (const window of after.rateLimits) {
      const remaining = await attribute(page, `[data-window="${window.window}"]`, 'data-remaining');
      // The store's count: a window may turn over between the two reads, so the page shows one of them.
      expect([before.rateLimits.find((w) => w.window === window.window)?.remaining, window.remaining]).toContain(remaining);
      if (window.window === 'minute') expect([window.limit - 3, window.limit]).toContain(remaining); // the three requests, or none once it turned over
      await expect(attribute(page, `[data-window="${window.window}"] meter`, 'max')).resolves.toBe(window.limit);
      await expect(attribute(page, `[data-window="${window.window}"] meter`, 'value')).resolves.toBe(window.limit - remaining);
    }
    await expect(attribute(page, '[data-credits] meter', 'value')).resolves.toBe(40);
    await expect(page.locator('[data-credits] .numbers').textContent()).resolves.toBe('balance 40, this request costs 1');
  });

  it.skipIf(skip !== undefined)('runs the why trace for another request and shows the decision the engine makes', async () => {
    await lookUp(page, '/v1/history');
    const expected = await explain(served.engine, '/v1/history');
    expect(expected.decision.reason).toBe('plan-upgrade-required'); // free lacks history, pro has it
    await expect(page.locator('[data-field="decision"]').textContent()).resolves.toBe(`DENY ${expected.decision.status} plan-upgrade-required`);
    await expect(page.locator('#why-result').textContent()).resolves.toContain('upgrade to a plan that includes this route: pro');
  });

  it.skipIf(skip !== undefined)('grants credits once however often the same key is sent (a lost answer too), then refunds', async () => {
    const accounts = createAccounts(served.store, systemClock);
    const result = page.locator('#credits-result [data-result]');
    await page.getByLabel('Grant').check();
    await page.getByLabel('Amount (cost units)').fill('25');
    await page.getByRole('button', { name: 'Apply with a new idempotency key' }).click();
    await expect(result.getAttribute('data-result')).resolves.toBe('applied');
    await expect(result.getAttribute('data-balance')).resolves.toBe('65');
    const key = await page.locator('#credit-key').textContent();
    expect(key).toMatch(/^console-[0-9a-f]{32}$/);

    await clear(page, '#credits-result');
    await page.getByRole('button', { name: 'Retry with the same key' }).click();
    await expect(result.getAttribute('data-result')).resolves.toBe('duplicate');
    await expect(result.getAttribute('data-balance')).resolves.toBe('65');
    await expect(page.locator('#credit-key').textContent()).resolves.toBe(key);
    expect((await accounts.show(ACCOUNT)).credits).toBe(65);

    // The server applies a grant but its answer never reaches the page: the retry re-sends the
    // same key, and the balance moves once.
    await page.getByLabel('Amount (cost units)').fill('10');
    await page.route('**/credits/grant', async (route) => {
      await route.fetch();
      await route.abort('connectionreset');
    });
    await clear(page, '#credits-result');
    await page.getByRole('button', { name: 'Apply with a new idempotency key' }).click();
    await page.locator('#credits-result .problem').waitFor();
    await expect(page.locator('#credits-result').textContent()).resolves.toContain('Retry with the same key: it applies at most once.');
    expect((await accounts.show(ACCOUNT)).credits).toBe(75);
    await page.unroute('**/credits/grant');
    await page.getByRole('button', { name: 'Retry with the same key' }).click();
    await expect(result.getAttribute('data-result')).resolves.toBe('duplicate');
    await expect(result.getAttribute('data-balance')).resolves.toBe('75');
    expect((await accounts.show(ACCOUNT)).credits).toBe(75);

    await page.getByLabel('Refund').check();
    await page.getByLabel('Amount (cost units)').fill('5');
    await clear(page, '#credits-result');
    await page.getByRole('button', { name: 'Apply with a new idempotency key' }).click();
    await expect(result.getAttribute('data-result')).resolves.toBe('applied');
    await expect(result.getAttribute('data-balance')).resolves.toBe('80');
    await expect(page.locator('#credit-key').textContent()).resolves.not.toBe(key);
    expect((await accounts.show(ACCOUNT)).credits).toBe(80);
  });

  it.skipIf(skip !== undefined)('shows the 401 problem the API returns for a wrong token', async () => {
    await page.getByLabel(/Bearer token/).fill(`${TOKEN}-wrong`);
    await page.getByRole('button', { name: 'Use token' }).click();
    await lookUp(page, '/v1/forecast');
    // The account and its usage both answer 401: the first of the two problems.
    expect(await page.locator('#account-result .problem').count()).toBe(2);
    const problem = page.locator('#account-result .problem').first();
    await expect(problem.getAttribute('data-status')).resolves.toBe('401');
    const body = JSON.parse((await problem.locator('pre').textContent()) ?? '') as Record<string, unknown>;
    expect(body).toEqual({ type: 'https://tollgate.dev/problems/server/unauthorized', title: 'Unauthorized', status: 401, detail: 'send Authorization: Bearer <the token in TOLLGATE_ADMIN_TOKEN>' });
    expect(pageErrors).toEqual([]);
  });
});
