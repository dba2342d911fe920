// Issue 15.1: every charge billed for good appends its usage to the account's outbox stream in the
// same script that charges the counters. Invariant, asserted exactly (store redis README, "Usage
// outbox"): per account and meter, the outbox entries (compensating ones negative) add up to what
// the counters were charged — credits drawn and the billable overage counter — and that is exactly
// what the allowed answers consumed, under SIGSTOP/SIGCONT and killed connections (refused
// admissions voided: an unread entry deleted, a read one compensated), holds billed at commit only.
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRouteRules } from '../packages/engine/src/compile/route-rules.js';
import { createAccounts, systemClock, USAGE_GROUP, type Engine, type EngineConfig, type Store } from '../packages/engine/src/index.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { RedisCluster, RedisServer, redisSkipReason } from './support/redis.js';
import { decide, engineOn } from './support/engine.js';
import { RedisProxy } from './support/tcp-proxy.js';
import { outboxTotals, overageCounter } from './support/usage-outbox.js';
import { BASE_CONFIG } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const POLICY = 'outbox';
const TIMEOUT_MS = 50;
const COST = 3;
const CREDITS = 100_000;
const INCLUDED = 5;
const ROUNDS = 6;
const IN_FLIGHT = 12;
const PAUSE_MS = 200;

function configOn(store: EngineConfig['store']): EngineConfig {
  return {
    ...BASE_CONFIG,
    policy: POLICY,
    plans: [{ name: 'metered', plan: { quota: { requests: INCLUDED, per: 'month' }, overage: 'bill', credits: true } }],
    defaultPlan: 'metered',
    costs: { default: COST },
    store: { ...store, onFailure: 'closed', timeoutMs: TIMEOUT_MS },
  };
}


/** The invariant: counters charged exactly what the allowed answers consumed, and the outbox exactly what the counters were charged. */
async function expectOutboxMatchesCounters(admin: Redis | Cluster, store: Store, account: string, allowed: number): Promise<void> {
  const charged = { credits: CREDITS - (await store.getAccount(account)).credits, overage: await overageCounter(admin, account, POLICY) };
  expect(charged).toEqual({ credits: allowed * COST, overage: Math.max(0, allowed - INCLUDED) });
  const { credits, overage } = await outboxTotals(admin, account);
  expect({ credits, overage }).toEqual(charged);
}

let server: RedisServer | undefined;
let cluster: RedisCluster | undefined;
const started = <T>(value: T | undefined): T => {
  if (value === undefined) throw new Error('the Redis processes are started in beforeAll');
  return value;
};
const closing: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  if (skip !== undefined) return;
  [server, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start()]);
});
afterAll(async () => {
  for (const close of closing.reverse()) await close();
  await Promise.all([server?.close(), cluster?.close()]);
});

describe.skipIf(skip !== undefined).each(['redis', 'redis-cluster'] as const)('%s, onFailure closed', (kind) => {
  let store: Store;
  let engine: Engine;
  let admin: Redis | Cluster;
  const processes = (): readonly RedisServer[] => (kind === 'redis' ? [started(server)] : started(cluster).nodes);

  beforeAll(() => {
    const storeBlock = kind === 'redis' ? { kind, url: started(server).url } : { kind, nodes: started(cluster).nodeList };
    store = createRedisStore(
      kind === 'redis'
        ? { kind, url: started(server).url, keyPrefix: 'tollgate', timeoutMs: TIMEOUT_MS }
        : { kind, nodes: started(cluster).nodeList.split(','), keyPrefix: 'tollgate', timeoutMs: TIMEOUT_MS },
    );
    engine = engineOn(configOn(storeBlock), store);
    admin = kind === 'redis' ? new Redis(started(server).url) : new Cluster(started(cluster).nodeList.split(',').map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
    closing.push(() => store.close(), () => admin.quit());
  });

  it(`${String(ROUNDS)} rounds of ${String(IN_FLIGHT)} billed requests, every other one under SIGSTOP: outbox = counters = allowed answers`, async () => {
    const account = `sigstop-${kind}`;
    await createAccounts(store, systemClock).changeCredits(account, 'grant', CREDITS);
    let allowed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const stalled = round % 2 === 1;
      if (stalled) for (const p of processes()) p.pause();
      const decisions = Promise.all(Array.from({ length: IN_FLIGHT }, () => decide(engine, account)));
      if (stalled) {
        await new Promise((r) => setTimeout(r, PAUSE_MS));
        for (const p of processes()) p.unpause();
      }
      for (const decision of await decisions) {
        if (decision.kind === 'allow') allowed++;
        else expect(decision.reason).toBe('store-unavailable');
      }
      await engine.drained();
    }
    expect(allowed).toBeGreaterThan(INCLUDED);
    await expectOutboxMatchesCounters(admin, store, account, allowed);
  });

  it('a void takes back what its admission billed: an unread entry is deleted, a read one compensated', async () => {
    const account = `void-${kind}`;
    await createAccounts(store, systemClock).changeCredits(account, 'grant', CREDITS);
    const rules = compileRouteRules(configOn({ kind: 'memory' }))('forecast', 'GET');
    const admit = (id: string) => store.admit({ account, scope: '', fallbackPlan: 'metered', now: Date.now(), rules, id, deadline: Date.now() + 60_000 });
    for (let i = 0; i < INCLUDED + 2; i++) expect((await admit(`kept-${String(i)}`)).outcome).toBe('allowed');
    expect((await admit('unread')).overage).toBe(1);
    expect(await store.voidAdmission(account, 'unread', Date.now())).toBe('voided');
    expect((await outboxTotals(admin, account)).entries).toBe(INCLUDED + 2);

    expect((await admit('read')).overage).toBe(1);
    // A shipper reads every entry (they are pending in its group) before the void lands.
    const stream = `tollgate{${account}}:u`;
    await admin.xgroup('CREATE', stream, USAGE_GROUP, '0');
    await admin.xreadgroup('GROUP', USAGE_GROUP, 'shipper', 'COUNT', 100, 'STREAMS', stream, '>');
    expect(await store.voidAdmission(account, 'read', Date.now())).toBe('voided');
    const entries = (await admin.xrange(stream, '-', '+')) as [string, string[]][];
    const compensating = entries.at(-1)?.[1] ?? [];
    expect(compensating).toEqual(['p', POLICY, 'o', '-1', 'c', String(-COST), 'k', 'read', 'v', entries.at(-2)?.[0]]);
    await expectOutboxMatchesCounters(admin, store, account, INCLUDED + 2);
  });

  it('a hold bills its credits when it commits, never when it is released', async () => {
    const account = `hold-${kind}`;
    await createAccounts(store, systemClock).changeCredits(account, 'grant', CREDITS);
    const rules = compileRouteRules(configOn({ kind: 'memory' }))('forecast', 'GET');
    const hold = (key: string) => store.admit({ account, scope: '', fallbackPlan: 'metered', now: Date.now(), rules, holdKey: key });
    expect((await hold('hold:kept')).charged).toBe(COST);
    expect((await hold('hold:given-back')).charged).toBe(COST);
    expect(await outboxTotals(admin, account)).toEqual({ overage: 0, credits: 0, entries: 0 });
    expect((await store.completeHold(account, 'hold:kept', 'commit', Date.now())).kind).toBe('committed');
    expect((await store.completeHold(account, 'hold:given-back', 'release', Date.now())).kind).toBe('released');
    await expectOutboxMatchesCounters(admin, store, account, 1);
  });
});

describe.skipIf(skip !== undefined)('replies lost with killed connections (redis, onFailure closed)', () => {
  it('every admission whose reply was lost is voided: outbox = counters = allowed answers', async () => {
    const admin = new Redis(started(server).url);
    const proxy = await RedisProxy.start(started(server).port, admin);
    const store = createRedisStore({ kind: 'redis', url: proxy.url, keyPrefix: 'tollgate', timeoutMs: TIMEOUT_MS });
    closing.push(() => admin.quit(), () => proxy.close(), () => store.close());
    const engine = engineOn(configOn({ kind: 'redis', url: proxy.url }), store);
    const account = 'lost-replies';
    await createAccounts(store, systemClock).changeCredits(account, 'grant', CREDITS);
    let allowed = 0;
    for (let round = 0; round < 4 * INCLUDED; round++) {
      const lost = round % 2 === 0 ? proxy.arm('lose-next-reply') : undefined;
      const decision = await decide(engine, account);
      await lost;
      if (decision.kind === 'allow') allowed++;
      await engine.drained();
    }
    expect(allowed).toBeGreaterThan(INCLUDED);
    expect(allowed).toBeLessThan(4 * INCLUDED);
    await expectOutboxMatchesCounters(admin, store, account, allowed);
  });
});
