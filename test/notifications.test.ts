// Webhook notifications against a real HTTP receiver, on the memory store, a real redis-server and
// a three-master Redis Cluster. Invariant: per account, threshold and period, exactly one event is
// delivered, however many requests cross at once and on however many engines (nodes) sharing the
// store; a receiver that fails gets the same event (same id and body) again until it accepts it;
// every delivery carries a signature the documented recipe (docs/notifications.md) verifies.
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccounts,
  createEngine,
  createMemoryStore,
  createRedisStore,
  ManualClock,
  NO_OBSERVER,
  type Engine,
  type EngineConfig,
  type NotificationLog,
  type Store,
} from '../packages/engine/src/index.js';
import { monitorCommands, redisSkipReason, redisStoresUnderTest, useRedisServer } from './support/redis.js';
import { BASE_CONFIG, factsOf } from './support/vectors.js';

const SECRET_ENV = 'TOLLGATE_TEST_WEBHOOK_SECRET';
const SECRET = 'whsec_test_3f9a';
const CLOCK = Date.UTC(2026, 2, 10, 12, 0, 0);

interface Delivery {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A webhook receiver: records every delivery; answers 500 to the first `failFirst` ones. */
class Receiver {
  readonly deliveries: Delivery[] = [];
  failFirst = 0;
  #server: Server | undefined;

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        this.deliveries.push({ headers: req.headers, body });
        res.statusCode = this.deliveries.length <= this.failFirst ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${String((this.#server?.address() as AddressInfo).port)}/hooks`;
  }

  /** The accepted events (the last delivery of each id), parsed. */
  events(): { id: string; type: string; account: string; data: Record<string, unknown> }[] {
    const byId = new Map(this.deliveries.map((d) => [String(d.headers['tollgate-event-id']), JSON.parse(d.body) as { id: string; type: string; account: string; data: Record<string, unknown> }]));
    return [...byId.values()];
  }

  reset(): void {
    this.deliveries.length = 0;
    this.failFirst = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#server === undefined) resolve();
      else this.#server.close(() => {
        resolve();
      });
    });
  }
}

type Verify = (rawBody: string, header: string, secret: string, toleranceSeconds?: number) => boolean;

/** The Node recipe of docs/notifications.md, run as written. */
async function docsRecipe(dir: string): Promise<Verify> {
  const doc = readFileSync(new URL('../docs/notifications.md', import.meta.url), 'utf8');
  const block = /<!-- verification recipe[^>]*-->\n```js\n([\s\S]*?)```/.exec(doc)?.[1];
  if (block === undefined) throw new Error('docs/notifications.md has no verification recipe block');
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, block);
  return ((await import(pathToFileURL(file).href)) as { verifyTollgateSignature: Verify }).verifyTollgateSignature;
}

const receiver = new Receiver();
let dir: string;
let verify: Verify;
beforeAll(async () => {
  await receiver.start();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-notify-'));
  verify = await docsRecipe(dir);
});
afterAll(async () => {
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

function policy(plan: EngineConfig['plans'][number]['plan'], extra: Partial<EngineConfig> = {}): EngineConfig {
  return {
    ...BASE_CONFIG,
    plans: [{ name: 'pro', plan }],
    defaultPlan: 'pro',
    // A generous timeout: a loaded machine must not turn Redis latency into fail-open decisions.
    store: { kind: 'memory', timeoutMs: 5000 },
    notifications: { url: receiver.url, secret: { env: SECRET_ENV }, thresholds: { quotaPercent: [80, 100], creditsBelow: 3 }, paymentDenied: true },
    ...extra,
  };
}

function engineOn(config: EngineConfig, store: Store, clock: ManualClock, logs: NotificationLog[] = []): Engine {
  const compiled = createEngine(config, store, clock, { env: { [SECRET_ENV]: SECRET }, observer: { ...NO_OBSERVER, notified: (log) => logs.push(log) } });
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.engine;
}

async function send(engine: Engine, consumer: string, upstreamStatus = 200): Promise<number> {
  const decision = await engine.decide(factsOf({ method: 'GET', path: '/v1/forecast', consumer }));
  if (decision.kind !== 'allow') return decision.status;
  if (decision.followUp !== undefined) await engine.complete(decision.followUp, upstreamStatus);
  return upstreamStatus;
}

function expectSigned(deliveries: readonly Delivery[]): void {
  for (const d of deliveries) {
    expect(d.headers['content-type']).toBe('application/json');
    expect(verify(d.body, String(d.headers['tollgate-signature']), SECRET), d.body).toBe(true);
    expect(verify(d.body, String(d.headers['tollgate-signature']), 'another secret')).toBe(false);
    expect(verify(`${d.body} `, String(d.headers['tollgate-signature']), SECRET)).toBe(false);
  }
}

interface StoreRow {
  readonly name: string;
  /** `nodes` stores sharing one set of data (one per simulated gateway node). */
  stores(nodes: number): Promise<Store[]>;
}

const memoryRow: StoreRow = {
  name: 'memory',
  stores: (nodes) => {
    const shared = createMemoryStore();
    return Promise.resolve(Array.from({ length: nodes }, () => shared));
  },
};
const redisRows: StoreRow[] = redisStoresUnderTest().map((row) => ({
  name: row.name,
  // Each create() empties the data first: all are made before any request.
  stores: async (nodes) => {
    const stores: Store[] = [];
    for (let i = 0; i < nodes; i++) stores.push(await row.create());
    return stores;
  },
}));

describe.each([memoryRow, ...redisRows])('notifications on the $name store', (row) => {
  it('many concurrent requests on four engines crossing 80 % and 100 % of a quota yield exactly one event each, and one payment denial', async () => {
    receiver.reset();
    const clock = new ManualClock(CLOCK);
    const stores = await row.stores(4);
    const logs: NotificationLog[] = [];
    const engines = stores.map((store) => engineOn(policy({ quota: { requests: 100, per: 'month' } }), store, clock, logs));
    try {
      const statuses = await Promise.all(Array.from({ length: 130 }, (_, i) => send(engines[i % engines.length] as Engine, 'alice')));
      expect(statuses.filter((s) => s === 200)).toHaveLength(100);
      expect(statuses.filter((s) => s === 402)).toHaveLength(30);
      await Promise.all(engines.map((e) => e.drained()));
      const events = receiver.events().map((e) => `${e.type} ${JSON.stringify(e.data.percent ?? e.data.reason)} ${JSON.stringify(e.data.used ?? null)}`);
      expect(events.sort()).toEqual(['payment.denied "quota-exhausted" null', 'quota.threshold 100 100', 'quota.threshold 80 80']);
      expect(receiver.deliveries).toHaveLength(3);
      expectSigned(receiver.deliveries);
      expect(logs.map((l) => `${l.type} ${l.outcome}`).sort()).toEqual(['payment.denied sent', 'quota.threshold sent', 'quota.threshold sent']);
    } finally {
      await Promise.all([...new Set(stores)].map((s) => s.close()));
    }
  });

  it('a quota crossed again after a hold was given back (upstream 5xx) notifies once, on another engine too', async () => {
    receiver.reset();
    const clock = new ManualClock(CLOCK);
    const [first, second] = await row.stores(2);
    const config = policy({ quota: { requests: 10, per: 'month' } }, { costs: { chargeOn: 'success' } });
    const engines = [engineOn(config, first as Store, clock), engineOn(config, second as Store, clock)] as const;
    try {
      for (let i = 0; i < 7; i++) expect(await send(engines[0], 'bob')).toBe(200);
      // The 8th crosses 80 %, then its upstream fails: the hold is given back (used 7 again).
      expect(await send(engines[0], 'bob', 502)).toBe(502);
      expect(await send(engines[1], 'bob')).toBe(200);
      await Promise.all(engines.map((e) => e.drained()));
      expect(receiver.events().map((e) => `${e.type} ${String(e.data.percent)}`)).toEqual(['quota.threshold 80']);
      // The next billing period is a new period: 80 % notifies again.
      clock.set(Date.UTC(2026, 3, 2));
      for (let i = 0; i < 8; i++) expect(await send(engines[1], 'bob')).toBe(200);
      await Promise.all(engines.map((e) => e.drained()));
      expect(receiver.events().map((e) => `${e.type} ${String(e.data.percent)} ${String(e.data.resetAt)}`)).toEqual([
        'quota.threshold 80 2026-04-01T00:00:00.000Z',
        'quota.threshold 80 2026-05-01T00:00:00.000Z',
      ]);
    } finally {
      for (const store of new Set([first, second])) await store?.close();
    }
  });

  it('credits falling below the threshold notify once until a grant raises them', async () => {
    receiver.reset();
    const clock = new ManualClock(CLOCK);
    const [store] = await row.stores(1);
    const engine = engineOn(policy({ credits: true }), store as Store, clock);
    const accounts = createAccounts(store as Store, clock);
    try {
      await accounts.changeCredits('carol', 'grant', 5);
      // 5 → 4 → 3 → 2 (below 3: one event) → 1 → 0, then refused (one payment.denied).
      for (let i = 0; i < 5; i++) expect(await send(engine, 'carol')).toBe(200);
      for (let i = 0; i < 3; i++) expect(await send(engine, 'carol')).toBe(402);
      await engine.drained();
      expect(receiver.events().map((e) => `${e.type} ${String(e.data.balance)}`)).toEqual(['credits.below 2', 'payment.denied 0']);
      // A grant re-arms it: the next fall below 3 (3 → 2) is news again.
      await accounts.changeCredits('carol', 'grant', 3);
      for (let i = 0; i < 2; i++) expect(await send(engine, 'carol')).toBe(200);
      await engine.drained();
      expect(receiver.events().map((e) => `${e.type} ${String(e.data.balance)}`)).toEqual(['credits.below 2', 'payment.denied 0', 'credits.below 2']);
      expectSigned(receiver.deliveries);
    } finally {
      await store?.close();
    }
  });
});

describe.skipIf(redisSkipReason() !== undefined)('round trips on a real redis-server', () => {
  const redis = useRedisServer();

  it('a request that crosses nothing sends its admission alone; a crossing adds one SET NX after the answer', async () => {
    receiver.reset();
    const store = createRedisStore({ kind: 'redis', url: redis.server.url, keyPrefix: 'rt', timeoutMs: 2000 });
    const engine = engineOn(policy({ quota: { requests: 10, per: 'month' } }), store, new ManualClock(CLOCK));
    try {
      expect(await send(engine, 'erin')).toBe(200); // connects and loads the script
      const quiet = await monitorCommands([redis.admin], async () => {
        for (let i = 0; i < 6; i++) expect(await send(engine, 'erin')).toBe(200);
        await engine.drained();
      });
      expect(quiet.sent).toEqual({ evalsha: 6 });
      const crossing = await monitorCommands([redis.admin], async () => {
        expect(await send(engine, 'erin')).toBe(200); // the 8th of 10: 80 %
        await engine.drained();
      });
      expect(crossing.sent).toEqual({ evalsha: 1, set: 1 });
      expect(receiver.events().map((e) => `${e.type} ${String(e.data.percent)}`)).toEqual(['quota.threshold 80']);
    } finally {
      await store.close();
    }
  });
});

describe('delivery', () => {
  it('a receiver that fails twice gets the same event a third time, signed afresh, and the metric says sent', async () => {
    receiver.reset();
    receiver.failFirst = 2;
    const logs: NotificationLog[] = [];
    const clock = new ManualClock(CLOCK);
    const engine = engineOn(policy({ quota: { requests: 5, per: 'month' } }, { notifications: { url: receiver.url, secret: { env: SECRET_ENV }, thresholds: { quotaPercent: [80] } } }), createMemoryStore(), clock, logs);
    for (let i = 0; i < 4; i++) expect(await send(engine, 'dave')).toBe(200);
    await engine.drained();
    expect(receiver.deliveries).toHaveLength(3);
    expect(new Set(receiver.deliveries.map((d) => d.headers['tollgate-event-id'])).size).toBe(1);
    expect(new Set(receiver.deliveries.map((d) => d.body)).size).toBe(1);
    expectSigned(receiver.deliveries);
    const [event] = receiver.events();
    expect(event).toMatchObject({ type: 'quota.threshold', account: 'dave', policy: 'vectors', plan: 'pro', data: { unit: 'requests', percent: 80, limit: 5, used: 4 } });
    expect(event?.id).toBe(receiver.deliveries[0]?.headers['tollgate-event-id']);
    expect(logs).toEqual([{ policy: 'vectors', type: 'quota.threshold', outcome: 'sent', attempts: 3 }]);
  });

  it('refuses a policy whose signing secret is not in the environment', () => {
    const compiled = createEngine(policy({}), createMemoryStore(), new ManualClock(CLOCK), { env: {} });
    expect(compiled).toEqual({ ok: false, errors: [`notifications.secret: the environment variable ${SECRET_ENV} is not set (the webhook signing secret)`] });
  });

  it('the recipe rejects a signature older than its tolerance', () => {
    const t = Math.floor(Date.now() / 1000) - 600;
    const body = '{"id":"evt_1"}';
    const header = `t=${String(t)},v1=${createHmacHex(`${String(t)}.${body}`)}`;
    expect(verify(body, header, SECRET)).toBe(false);
    expect(verify(body, header, SECRET, 3600)).toBe(true);
  });
});

function createHmacHex(text: string): string {
  return createHmac('sha256', SECRET).update(text).digest('hex');
}
