// Issue 15.2: `tollgate meter ship` against local Stripe and OpenMeter servers that record every
// request. The outbox is filled by real admissions on Redis and on a Redis Cluster; a shipper is
// SIGKILLed while its first batch is at Stripe (taken, not answered yet), then two shippers run at
// once and take over its entries (XAUTOCLAIM). Invariant, asserted exactly: per account and meter,
// what each billing system counts (Stripe: events by identifier, less canceled ones; OpenMeter:
// events by id) equals what the counters were charged; at least one event arrived twice (the
// killed batch) and was counted once; events Stripe refused went to the dead-letter stream; a void
// of a shipped admission cancels its event. Request shapes and authentication are checked.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRouteRules } from '../packages/engine/src/compile/route-rules.js';
import { createAccounts, systemClock, type EngineConfig, type Store } from '../packages/engine/src/index.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { LocalOpenMeter, LocalStripe } from './support/billing-servers.js';
import { freePort, RedisCluster, RedisServer, redisSkipReason } from './support/redis.js';
import { overageCounter } from './support/usage-outbox.js';
import { BASE_CONFIG } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const POLICY = 'metered-api';
const COST = 3;
const INCLUDED = 5;
const PER_ACCOUNT = 30;
const CREDITS = 10_000;
const SECRET_KEY = 'sk_test_local';
const OPENMETER_TOKEN = 'om_local_token';
const CUSTOMERS = { alice: 'cus_alice', bob: 'cus_bob', dave: 'cus_closed' } as const;
const CLI = new URL('../packages/cli/bin/tollgate.js', import.meta.url).pathname;
const DIR = `/tmp/meter-ship-test-${String(process.pid)}`;

const config: EngineConfig = {
  ...BASE_CONFIG,
  policy: POLICY,
  plans: [{ name: 'metered', plan: { quota: { requests: INCLUDED, per: 'month' }, overage: 'bill', credits: true } }],
  defaultPlan: 'metered',
  costs: { default: COST },
};
const rules = compileRouteRules(config)('forecast', 'GET');

function policyDir(name: string, store: string): string {
  const dir = join(DIR, name);
  mkdirSync(dir, { recursive: true });
  const consumers = Object.entries(CUSTOMERS).map(([consumer, customId]) => `    - { name: ${consumer}, customId: ${customId}, credentials: { keyAuth: [{ env: KEY_${consumer.toUpperCase()} }] } }`);
  writeFileSync(
    join(dir, 'policy.yaml'),
    `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: ${POLICY} }
spec:
  service: { name: metered, url: "http://metered.internal:8080" }
  routes:
    - { name: forecast, paths: [/v1/forecast], methods: [GET] }
  identity: { auth: key-auth, limitBy: consumer }
  plans:
    metered: { quota: { requests: ${String(INCLUDED)}, per: month }, overage: bill, credits: true }
  defaultPlan: metered
  costs: { default: ${String(COST)} }
  payment: { topUpUrl: https://billing.example.com/credits }
  store: ${store}
---
apiVersion: tollgate.dev/v1
kind: Consumers
metadata: { name: metered-customers }
spec:
  consumers:
${consumers.join('\n')}
`,
  );
  return dir;
}

interface Shipper {
  readonly child: ChildProcess;
  readonly output: string[];
}

interface Target {
  readonly policies: string;
  readonly env: Record<string, string>;
  readonly stripe: string;
  readonly openMeter: string;
}

function startShipper({ policies, env, stripe, openMeter }: Target, consumer: string, metricsPort = 0): Shipper {
  const args = ['meter', 'ship', '--policies', policies, '--stripe-event', 'overage=api_overage', '--stripe-event', 'credits=api_credits', '--stripe-api-base', stripe];
  args.push('--openmeter-url', openMeter, '--consumer', consumer, '--batch', '10', '--poll-ms', '50', '--discover-ms', '200', '--claim-idle-ms', '500', '--metrics-port', String(metricsPort));
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, STRIPE_API_KEY: SECRET_KEY, OPENMETER_TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return { child, output };
}

async function stop(shipper: Shipper, signal: NodeJS.Signals): Promise<void> {
  if (shipper.child.exitCode !== null || shipper.child.signalCode !== null) return;
  const exited = new Promise((resolve) => shipper.child.once('exit', resolve));
  shipper.child.kill(signal);
  await exited;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let server: RedisServer | undefined;
let cluster: RedisCluster | undefined;
const started = <T>(value: T | undefined): T => {
  if (value === undefined) throw new Error('the Redis processes are started in beforeAll');
  return value;
};

beforeAll(async () => {
  if (skip !== undefined) return;
  [server, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start()]);
});
afterAll(async () => {
  await Promise.all([server?.close(), cluster?.close()]);
});

describe.skipIf(skip !== undefined).each(['redis', 'redis-cluster'] as const)('%s', (kind) => {
  let stripe: LocalStripe;
  let openMeter: LocalOpenMeter;
  let store: Store;
  let admin: Redis | Cluster;
  let policies: string;
  let env: Record<string, string>;
  const shippers: Shipper[] = [];

  beforeAll(async () => {
    [stripe, openMeter] = await Promise.all([new LocalStripe(SECRET_KEY).start(), new LocalOpenMeter(OPENMETER_TOKEN).start()]);
    const nodes = kind === 'redis' ? [] : started(cluster).nodeList.split(',');
    store = createRedisStore(kind === 'redis' ? { kind, url: started(server).url, keyPrefix: 'tollgate', timeoutMs: 1000 } : { kind, nodes, keyPrefix: 'tollgate', timeoutMs: 1000 });
    admin = kind === 'redis' ? new Redis(started(server).url) : new Cluster(nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
    policies = policyDir(kind, kind === 'redis' ? '{ kind: redis, url: { env: METER_REDIS_URL } }' : '{ kind: redis-cluster, nodes: { env: METER_REDIS_NODES } }');
    env = kind === 'redis' ? { METER_REDIS_URL: started(server).url } : { METER_REDIS_NODES: started(cluster).nodeList };
  });
  afterAll(async () => {
    for (const shipper of shippers) await stop(shipper, 'SIGKILL');
    await store.close();
    await admin.quit();
    await Promise.all([stripe.close(), openMeter.close()]);
  });

  it('a shipper killed mid-batch, then two at once: every event counted exactly once; refusals dead-lettered; a void cancels', async () => {
    const accounts = createAccounts(store, systemClock);
    for (const account of Object.keys(CUSTOMERS)) {
      await accounts.changeCredits(account, 'grant', CREDITS);
      for (let i = 0; i < PER_ACCOUNT; i++) expect((await store.admit({ account, scope: '', fallbackPlan: 'metered', now: Date.now(), rules })).outcome).toBe('allowed');
    }
    const target = { policies, env, stripe: stripe.url, openMeter: openMeter.url };

    // The first shipper's first batch reaches Stripe (taken on arrival), and it dies before the answer.
    stripe.streamDelayMs = 2_000;
    const first = startShipper(target, 'first');
    shippers.push(first);
    await until('the first batch at Stripe', () => stripe.events.size > 0);
    await stop(first, 'SIGKILL');
    stripe.streamDelayMs = 0;

    const metricsPort = await freePort();
    const second = startShipper(target, 'second', metricsPort);
    shippers.push(second, startShipper(target, 'third'));
    const charged = async (account: keyof typeof CUSTOMERS) => ({
      credits: CREDITS - (await store.getAccount(account)).credits,
      overage: await overageCounter(admin, account, POLICY),
    });
    const expected: Record<string, number> = {};
    const expectedOpenMeter: Record<string, number> = {};
    for (const account of ['alice', 'bob'] as const) {
      const { credits, overage } = await charged(account);
      expect({ credits, overage }).toEqual({ credits: PER_ACCOUNT * COST, overage: PER_ACCOUNT - INCLUDED });
      Object.assign(expected, { [`${CUSTOMERS[account]} api_credits`]: credits, [`${CUSTOMERS[account]} api_overage`]: overage });
    }
    for (const account of Object.keys(CUSTOMERS) as (keyof typeof CUSTOMERS)[]) {
      const { credits, overage } = await charged(account);
      Object.assign(expectedOpenMeter, { [`${account} tollgate.credits`]: credits, [`${account} tollgate.overage`]: overage });
    }
    const deadLetters = () => admin.xlen('tollgate{dave}:u:dead');
    const same = (a: Record<string, number>, b: Record<string, number>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
    await until('every event shipped', async () => same(stripe.totals(), expected) && same(openMeter.totals(), expectedOpenMeter) && (await deadLetters()) === PER_ACCOUNT);
    expect(stripe.totals()).toEqual(expected);
    expect(openMeter.totals()).toEqual(expectedOpenMeter);
    expect(stripe.duplicates).toBeGreaterThan(0);
    expect(await deadLetters()).toBe(PER_ACCOUNT);
    const dead = (await admin.xrange('tollgate{dave}:u:dead', '-', '+')) as [string, string[]][];
    expect(dead[0]?.[1]).toContain('stripe: 400 customer cus_closed is closed');

    // A void after its event was shipped: the compensating entry cancels it at Stripe.
    expect((await store.admit({ account: 'alice', scope: '', fallbackPlan: 'metered', now: Date.now(), rules, id: 'late-void', deadline: Date.now() + 60_000 })).outcome).toBe('allowed');
    await until('the late admission at Stripe', () => stripe.events.has('late-void:credits') && stripe.events.has('late-void:overage'));
    expect(await store.voidAdmission('alice', 'late-void', Date.now())).toBe('voided');
    await until('its cancellation', () => stripe.canceled.has('late-void:credits') && stripe.canceled.has('late-void:overage') && same(openMeter.totals(), expectedOpenMeter));
    expect(stripe.totals()).toEqual(expected);
    expect(await charged('alice')).toEqual({ credits: PER_ACCOUNT * COST, overage: PER_ACCOUNT - INCLUDED });
    expect(openMeter.totals()).toEqual(expectedOpenMeter);

    // Request shapes and authentication.
    const session = stripe.requests.find((r) => r.path === '/v2/billing/meter_event_session');
    expect(session?.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
    const stream = stripe.requests.find((r) => r.path === '/v2/billing/meter_event_stream');
    expect(stream?.headers.authorization).toMatch(/^Bearer mes_\d+$/);
    expect(stream?.headers['content-type']).toMatch(/^application\/json/);
    const streamed = (stream?.body as { events: unknown[] }).events[0];
    expect(streamed).toEqual({ event_name: expect.stringMatching(/^api_(credits|overage)$/), identifier: expect.any(String), timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), payload: { stripe_customer_id: expect.stringMatching(/^cus_/), value: expect.stringMatching(/^\d+$/) } });
    const cancel = stripe.requests.find((r) => r.path === '/v2/billing/meter_event_adjustments' && (r.body as { cancel: { identifier: string } }).cancel.identifier === 'late-void:credits');
    expect(cancel?.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
    expect(cancel?.body).toEqual({ event_name: 'api_credits', type: 'cancel', cancel: { identifier: 'late-void:credits' } });
    const ingest = openMeter.requests[0];
    expect(ingest?.headers['content-type']).toBe('application/cloudevents-batch+json');
    expect(ingest?.headers.authorization).toBe(`Bearer ${OPENMETER_TOKEN}`);
    expect((ingest?.body as unknown[])[0]).toEqual({
      specversion: '1.0',
      id: expect.any(String),
      source: 'tollgate',
      type: expect.stringMatching(/^tollgate\.(credits|overage)$/),
      subject: expect.stringMatching(/^(alice|bob|dave)$/),
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      datacontenttype: 'application/json',
      data: { value: expect.any(Number), policy: POLICY },
    });

    // Metrics and health of a running shipper; no key in any output.
    expect(second.child.exitCode, second.output.join('')).toBeNull();
    const health = await fetch(`http://127.0.0.1:${String(metricsPort)}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${String(metricsPort)}/metrics`)).text();
    expect(metrics).toMatch(/tollgate_meter_shipped_total\{sink="stripe"\} \d+/);
    expect(metrics).toMatch(/tollgate_meter_dead_lettered_total \d+/);
    expect(metrics).toContain('tollgate_meter_lag_entries');
    const output = shippers.flatMap((s) => s.output).join('');
    expect(output).not.toContain(SECRET_KEY);
    expect(output).not.toContain(OPENMETER_TOKEN);
  });
});
