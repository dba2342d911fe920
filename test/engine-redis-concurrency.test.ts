// Atomicity across processes: four OS processes, each with its own Redis connection and 200
// decisions in flight, race for one consumer. The limit holds exactly, credits never go below
// zero and debits add up, and idempotency keys apply once however many processes send them.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccounts, ManualClock, type Accounts, type EngineConfig } from '../packages/engine/src/index.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { ARMED, GO, type DeciderJob, type DeciderReport } from './support/redis-decider.js';
import { flushAll, forkTypeScript, RedisServer, redisSkipReason } from './support/redis.js';
import { BASE_CONFIG } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const PROCESSES = 4;
const IN_FLIGHT = 200;
/** How long the server holds every script back at the start of a race. */
const START_PAUSE_MS = 300;
const CLOCK = Date.UTC(2026, 2, 10, 12, 0, 0);
const DECIDER = new URL('./support/redis-decider.ts', import.meta.url);

function configWith(members: Partial<EngineConfig>): EngineConfig {
  // onFailure closed and a generous timeout: a store failure shows up as store-unavailable, never as an admission.
  return { ...BASE_CONFIG, policy: 'race', store: { kind: 'redis', onFailure: 'closed', timeoutMs: 10_000 }, ...members };
}

function total(reports: readonly DeciderReport[], key: string): number {
  return reports.reduce((sum, r) => sum + (r.counts[key] ?? 0), 0);
}

describe.skipIf(skip !== undefined)(`${PROCESSES} processes × ${IN_FLIGHT} concurrent decisions on one Redis`, () => {
  let server: RedisServer;
  let admin: Redis;
  let dir: string;
  let deciders: ChildProcess[] = [];
  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.url);
    dir = mkdtempSync(join(tmpdir(), 'tollgate-deciders-'));
    // Started once and loaded before any job, so the processes race from the first decision.
    deciders = Array.from({ length: PROCESSES }, () => forkTypeScript(DECIDER, dir));
    await Promise.all(
      deciders.map(
        (child) =>
          new Promise<void>((resolve, reject) => {
            child.once('message', () => {
              resolve();
            });
            child.once('exit', (code) => {
              reject(new Error(`decider exited (${String(code)}) while starting`));
            });
          }),
      ),
    );
  });
  afterAll(async () => {
    for (const child of deciders) if (child.connected) child.disconnect();
    await admin.quit();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Hands each process its job, lets them all go once every one is connected (and the server is paused), and collects the reports. */
  async function race(jobs: readonly DeciderJob[]): Promise<DeciderReport[]> {
    const armed: Promise<void>[] = [];
    const reports = deciders.map(
      (child, i) =>
        new Promise<DeciderReport>((resolve, reject) => {
          const exited = (code: number | null): void => {
            reject(new Error(`decider ${i} exited (${String(code)}) without a report`));
          };
          child.once('exit', exited);
          armed.push(
            new Promise<void>((armedResolve) => {
              const listen = (message: DeciderReport | { error: string } | typeof ARMED): void => {
                if (message === ARMED) {
                  armedResolve();
                  return;
                }
                child.off('message', listen);
                child.off('exit', exited);
                if ('error' in message) reject(new Error(`decider ${i}: ${message.error}`));
                else resolve(message);
              };
              child.on('message', listen);
            }),
          );
          child.send(jobs[i]!);
        }),
    );
    await Promise.race([Promise.all(armed), Promise.all(reports)]);
    // Scripts wait on the server until the pause ends, so every process's first calls are queued
    // there before any runs: a process the OS schedules late still races (a process decides its
    // share in a few batched round trips, quicker than a late start).
    await admin.client('PAUSE', String(START_PAUSE_MS), 'WRITE');
    for (const child of deciders) child.send(GO);
    return Promise.all(reports);
  }

  /** Account operations on emptied data, from this (the test) process. */
  async function withAccounts(use: (accounts: Accounts) => Promise<void>): Promise<void> {
    await flushAll(admin);
    const store = createRedisStore({ kind: 'redis', url: server.url, keyPrefix: 'tollgate', timeoutMs: 5000 });
    try {
      await use(createAccounts(store, new ManualClock(CLOCK)));
    } finally {
      await store.close();
    }
  }

  /** Every process decides `requestsEach` for alice, at `clocks[i]` (each process's clock is pinned). */
  function decideJobs(config: EngineConfig, requestsEach: number, clocks: readonly number[] = [CLOCK]): DeciderJob[] {
    return Array.from({ length: PROCESSES }, (_, i) => ({ kind: 'decide', url: server.url, config, clock: clocks[i % clocks.length] as number, consumer: 'alice', requests: requestsEach, concurrency: IN_FLIGHT }));
  }

  it('a rate limit of 1,000 admits exactly 1,000 of 2,000', async () => {
    await flushAll(admin);
    const config = configWith({ plans: [{ name: 'pro', plan: { rateLimit: { hour: 1000 } } }], defaultPlan: 'pro' });
    const reports = await race(decideJobs(config, 500));
    expect(reports.map((r) => r.degraded)).toEqual([0, 0, 0, 0]);
    expect(total(reports, 'allowed')).toBe(1000);
    expect(total(reports, 'rate-limited')).toBe(1000);
    // Each process got some of the admissions: they really raced.
    expect(reports.every((r) => (r.counts.allowed ?? 0) > 0)).toBe(true);
  });

  it('a quota of 1,000 requests admits exactly 1,000 of 2,000', async () => {
    await flushAll(admin);
    const config = configWith({ plans: [{ name: 'pro', plan: { quota: { requests: 1000, per: 'month' } } }], defaultPlan: 'pro' });
    const reports = await race(decideJobs(config, 500));
    expect(reports.map((r) => r.degraded)).toEqual([0, 0, 0, 0]);
    expect(total(reports, 'allowed')).toBe(1000);
    expect(total(reports, 'quota-exhausted')).toBe(1000);
  });

  it('a Europe/Berlin daily quota of 300 admits exactly 300 on each side of local midnight after the 23-hour day', async () => {
    await flushAll(admin);
    const config = configWith({ plans: [{ name: 'pro', plan: { quota: { requests: 300, per: 'day', timeZone: 'Europe/Berlin' } } }], defaultPlan: 'pro' });
    // 2026-03-30 00:00 in Berlin (CEST) is 2026-03-29T22:00Z: two processes decide in its last millisecond, two in its first.
    const midnight = Date.UTC(2026, 2, 29, 22);
    const reports = await race(decideJobs(config, 250, [midnight - 1, midnight]));
    expect(reports.map((r) => r.degraded)).toEqual([0, 0, 0, 0]);
    const before = (reports[0]?.counts.allowed ?? 0) + (reports[2]?.counts.allowed ?? 0);
    const after = (reports[1]?.counts.allowed ?? 0) + (reports[3]?.counts.allowed ?? 0);
    expect([before, after]).toEqual([300, 300]);
    expect(total(reports, 'quota-exhausted')).toBe(1000 - 600);
    expect((await admin.keys('tollgate{alice}:q:*')).sort()).toEqual([`tollgate{alice}:q:race:requests:${String(Date.UTC(2026, 2, 28, 23))}`, `tollgate{alice}:q:race:requests:${String(midnight)}`]);
  });

  it('a daily refill of 1,000 credits is applied once however many processes race into the new day', async () => {
    await withAccounts(async (accounts) => {
      await accounts.changeCredits('alice', 'grant', 7);
      const config = configWith({ plans: [{ name: 'daily', plan: { credits: true, refill: { amount: 1000, every: 'day' } } }], defaultPlan: 'daily' });
      const reports = await race(decideJobs(config, 500));
      expect(reports.map((r) => r.degraded)).toEqual([0, 0, 0, 0]);
      expect(total(reports, 'allowed')).toBe(1000);
      expect(total(reports, 'insufficient-credits')).toBe(1000);
      expect((await accounts.show('alice')).credits).toBe(0);
    });
  });

  it('credits run out mid-run: never below zero, and the debits equal the admitted cost', async () => {
    await withAccounts(async (accounts) => {
      await accounts.changeCredits('alice', 'grant', 2000);
      const config = configWith({ plans: [{ name: 'prepaid', plan: { credits: true } }], defaultPlan: 'prepaid', costs: { default: 3 } });
      const reports = await race(decideJobs(config, 250));
      const admitted = total(reports, 'allowed');
      const balance = (await accounts.show('alice')).credits;
      expect(reports.map((r) => r.degraded)).toEqual([0, 0, 0, 0]);
      expect(admitted).toBe(666);
      expect(total(reports, 'insufficient-credits')).toBe(1000 - 666);
      expect(balance).toBe(2000 - 3 * admitted);
      expect(balance).toBeGreaterThanOrEqual(0);
    });
  });

  it('debits and refunds keyed by idempotency key apply once across processes', async () => {
    await withAccounts(async (accounts) => {
      await accounts.changeCredits('bob', 'grant', 150);
      // Every process sends the same 200 debits and 50 refunds, in its own order.
      const ops = [
        ...Array.from({ length: 200 }, (_, i) => ({ operation: 'debit' as const, amount: 1, key: `debit-${i}` })),
        ...Array.from({ length: 50 }, (_, i) => ({ operation: 'refund' as const, amount: 2, key: `refund-${i}` })),
      ];
      const jobs: DeciderJob[] = Array.from({ length: PROCESSES }, (_, p) => ({
        kind: 'credits',
        url: server.url,
        clock: CLOCK,
        account: 'bob',
        ops: p % 2 === 0 ? ops : [...ops].reverse(),
        concurrency: IN_FLIGHT,
      }));
      const reports = await race(jobs);
      const applied = total(reports, 'applied');
      const balance = (await accounts.show('bob')).credits;
      expect(total(reports, 'conflict')).toBe(0);
      expect(total(reports, 'duplicate')).toBeGreaterThan(0);
      expect(Math.min(...reports.map((r) => r.lowestBalance ?? 0))).toBeGreaterThanOrEqual(0);
      // One ledger entry per applied key: no key was applied twice.
      const ledger = await admin.keys('tollgate{bob}:l:*');
      expect(ledger.length).toBe(applied);
      // Every refund applies (once); the debits that applied are the rest, and the balance is exactly their sum.
      const refunds = 50;
      const debits = applied - refunds;
      expect(debits).toBeGreaterThan(0);
      expect(balance).toBe(150 - debits + 2 * refunds);
    });
  });
});
