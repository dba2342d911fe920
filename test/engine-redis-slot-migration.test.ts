// Item 12.1 on a Redis Cluster being resharded: a busy account's slot moves from its master to
// another, the way `redis-cli --cluster reshard` moves it (IMPORTING / MIGRATING, its keys in
// MIGRATE batches of 10, the target paused for a moment in the middle, then NODE on every master),
// while hundreds of credit-drawing decisions for a few accounts run through the engine with
// `onFailure: closed` and a small `timeoutMs`. Decisions meet -ASK, MOVED and scripts refused
// mid-migration; some time out and are voided. Invariant, asserted exactly once the engine is
// drained: each account's credits drawn = the summed cost of its allowed answers, and its quota
// and window counters = the number of its allowed answers. The source node's error statistics
// prove that decisions did cross redirects (the test cannot pass without a migration under load).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRouteRules } from '../packages/engine/src/compile/route-rules.js';
import { createAccounts, createEngine, systemClock, type Decision, type Engine, type EngineConfig, type Store } from '../packages/engine/src/index.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { RedisCluster, redisSkipReason, type RedisServer } from './support/redis.js';
import { factsOf, BASE_CONFIG } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const TIMEOUT_MS = 50;
const CREDITS = 1_000_000;
const LIMIT = 1_000_000;
const ACCOUNT_NAMES = ['busy', 'other-1', 'other-2', 'other-3'] as const;
const ROUTES = [
  { name: 'forecast', path: '/v1/forecast', cost: 3 },
  { name: 'history', path: '/v1/history', cost: 7 },
] as const;
/** Decisions in flight per round: every account on both routes, several times. */
const PER_ROUND = 16;
/** Allowed admissions of the busy account before the migration: receipts that fill its slot. */
const WARM_UP = 60;
/** Keys per MIGRATE, as `redis-cli --cluster reshard` (its default `--cluster-pipeline`). */
const MIGRATE_BATCH = 10;
const TARGET_PAUSE_MS = 150;

/** Two counters (read together) and one alone: the script reads them differently. */
const PLANS = {
  'hourly window and monthly quota': { rateLimit: { hour: LIMIT }, quota: { requests: LIMIT, per: 'month' as const }, credits: true },
  'monthly quota only': { quota: { requests: LIMIT, per: 'month' as const }, credits: true },
};

const configWith = (plan: EngineConfig['plans'][number]['plan']): EngineConfig => ({
  ...BASE_CONFIG,
  policy: 'slots',
  plans: [{ name: 'prepaid', plan }],
  defaultPlan: 'prepaid',
  costs: { default: 1, routes: Object.fromEntries(ROUTES.map((r) => [r.name, r.cost])) },
  store: { kind: 'redis-cluster', nodes: cluster?.nodeList ?? '', onFailure: 'closed', timeoutMs: TIMEOUT_MS },
});

interface Answer {
  readonly account: string;
  readonly cost: number;
  readonly decision: Decision;
}

/** One master of the cluster, with an admin connection of its own (no redirects followed). */
interface Master {
  readonly server: RedisServer;
  readonly admin: Redis;
  readonly id: string;
}

let cluster: RedisCluster | undefined;
let masters: Master[] = [];
const stores: Store[] = [];

beforeAll(async () => {
  if (skip !== undefined) return;
  cluster = await RedisCluster.start();
  masters = await Promise.all(
    cluster.nodes.map(async (server) => {
      const admin = new Redis(server.url);
      return { server, admin, id: String(await admin.call('CLUSTER', 'MYID')) };
    }),
  );
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(masters.map((m) => m.admin.quit()));
  await cluster?.close();
});

/** Every other decision for the busy account (the first), the rest spread over the others. */
async function decideMany(engine: Engine, accounts: readonly string[], round: number): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: PER_ROUND }, async (_, i) => {
      const account = accounts[i % 2 === 0 ? 0 : 1 + ((i + round) % 3)] as string;
      const route = ROUTES[(i >> 1) % 2] as (typeof ROUTES)[number];
      const decision = await engine.decide(factsOf({ method: 'GET', path: route.path, consumer: account }));
      return { account, cost: route.cost, decision };
    }),
  );
}

/** The master that serves `slot` now, by the cluster's own map. */
async function ownerOf(slot: number): Promise<Master> {
  const slots = (await (masters[0] as Master).admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
  const range = slots.find(([from, to]) => from <= slot && slot <= to);
  const owner = masters.find((m) => m.id === range?.[2][2]);
  if (owner === undefined) throw new Error(`no master serves slot ${String(slot)}`);
  return owner;
}

/** Redirect errors the node answered since its statistics were reset (INFO errorstats). */
async function redirectsAnswered(node: Master): Promise<{ ask: number; moved: number }> {
  const info = await node.admin.info('errorstats');
  const count = (name: string): number => Number(new RegExp(`errorstat_${name}:count=(\\d+)`).exec(info)?.[1] ?? 0);
  return { ask: count('ASK'), moved: count('MOVED') };
}

/** Moves `slot` from `source` to `target` as redis-cli's reshard does, pausing the target once midway. */
async function migrateSlot(slot: number, source: Master, target: Master): Promise<number> {
  await target.admin.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id);
  await source.admin.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id);
  let batches = 0;
  // The account hash first and its counters last: the order that keeps them apart the longest.
  const pending = (await source.admin.call('CLUSTER', 'GETKEYSINSLOT', slot, 100_000)) as string[];
  const rank = (key: string): number => (key.endsWith(':a') ? 0 : /:[qwo]:/.test(key) ? 2 : 1);
  pending.sort((x, y) => rank(x) - rank(y));
  for (;;) {
    // Keys created meanwhile land on the target (the source redirects), so the listed ones are all.
    const keys = pending.splice(0, MIGRATE_BATCH);
    if (keys.length === 0) break;
    batches++;
    if (batches === 3) {
      // The target hangs while a batch is on its way: the source blocks in MIGRATE until it resumes.
      target.server.pause();
      setTimeout(() => {
        target.server.unpause();
      }, TARGET_PAUSE_MS);
    }
    await source.admin.call('MIGRATE', '127.0.0.1', target.server.port, '', 0, 5000, 'KEYS', ...keys);
    // Lets decisions run between batches, as they do between a reshard's pipelines.
    await new Promise((r) => setTimeout(r, 5));
  }
  for (const node of [target, source, ...masters.filter((m) => m !== source && m !== target)]) {
    await node.admin.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
  }
  return batches;
}

describe.skipIf(skip !== undefined)('redis-cluster, onFailure closed: a busy account slot migrates under load', () => {
  it.each(Object.entries(PLANS))('%s: charges, counts and windows exactly what the allowed answers consumed', async (planName, plan) => {
    const ACCOUNTS = ACCOUNT_NAMES.map((name) => `${planName.split(' ')[1] ?? ''}-${name}`);
    const BUSY = ACCOUNTS[0] as string;
    const config = configWith(plan);
    const store = createRedisStore({ kind: 'redis-cluster', nodes: (cluster as RedisCluster).nodeList.split(','), keyPrefix: 'tollgate', timeoutMs: TIMEOUT_MS });
    stores.push(store);
    const compiled = createEngine(config, store, systemClock);
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    const engine = compiled.engine;
    const accounts = createAccounts(store, systemClock);
    for (const account of ACCOUNTS) await accounts.changeCredits(account, 'grant', CREDITS);

    const answers: Answer[] = [];
    // Warm-up: the busy account's slot fills with receipts, so its migration takes several batches.
    for (let round = 0; answers.filter((a) => a.account === BUSY && a.decision.kind === 'allow').length < WARM_UP; round++) {
      answers.push(...(await decideMany(engine, ACCOUNTS, round)));
      if (round > 200) throw new Error('the warm-up was never allowed');
    }

    const slot = Number(await (masters[0] as Master).admin.call('CLUSTER', 'KEYSLOT', `tollgate{${BUSY}}:a`));
    const source = await ownerOf(slot);
    const target = masters.find((m) => m !== source) as Master;
    await source.admin.config('RESETSTAT');
    const keysBefore = Number(await source.admin.call('CLUSTER', 'COUNTKEYSINSLOT', slot));

    const progress = { migrated: false };
    const migration = migrateSlot(slot, source, target).finally(() => {
      progress.migrated = true;
    });
    // Decisions keep going through the migration and a few rounds past it (MOVED once it is done).
    let roundsAfter = 0;
    for (let round = 0; roundsAfter < 5; round++) {
      answers.push(...(await decideMany(engine, ACCOUNTS, round)));
      if (progress.migrated) roundsAfter++;
    }
    const batches = await migration;
    await engine.drained();

    // The migration happened under load: the slot moved in several batches and decisions met redirects.
    expect(batches).toBeGreaterThan(2);
    expect(keysBefore).toBeGreaterThan(WARM_UP);
    expect(Number(await source.admin.call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe(0);
    expect(Number(await target.admin.call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBeGreaterThan(0);
    expect((await ownerOf(slot)).id).toBe(target.id);
    const redirects = await redirectsAnswered(source);
    expect(redirects.ask + redirects.moved, JSON.stringify(redirects)).toBeGreaterThan(0);
    expect(answers.some((a) => a.decision.kind === 'deny' && a.decision.reason !== 'store-unavailable')).toBe(false);

    const rules = compileRouteRules(config)('forecast', 'GET');
    for (const account of ACCOUNTS) {
      const allowed = answers.filter((a) => a.account === account && a.decision.kind === 'allow');
      const preview = await store.previewAdmit({ account, scope: '', fallbackPlan: 'prepaid', now: Date.now(), rules });
      const consumed = {
        credits: CREDITS - (await store.getAccount(account)).credits,
        quotaUsed: (preview.quotas[0]?.used ?? 0) - 1,
        windowUsed: preview.windows.map((w) => w.limit - w.remaining - 1),
      };
      const expected = { credits: allowed.reduce((sum, a) => sum + a.cost, 0), quotaUsed: allowed.length, windowUsed: 'rateLimit' in plan ? [allowed.length] : [] };
      expect({ account, ...consumed }).toEqual({ account, ...expected });
    }
    expect(answers.filter((a) => a.account === BUSY && a.decision.kind === 'allow').length).toBeGreaterThan(WARM_UP);
  }, 60_000);
});
