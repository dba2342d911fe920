// A Redis store reached through a proxy that can lose commands and replies, and the settlements the
// exactness tests send through it (test/engine-redis-settle-exactness.test.ts,
// test/engine-redis-grants-exactness.test.ts): the faults, and the engine's way of retrying a
// settlement that failed (compensations.ts, `retryCompletion`), are the same for every invariant.
import { Redis } from 'ioredis';
import { NO_OBSERVER, type Clock, type Store } from '../../packages/engine/src/index.js';
import { Compensations } from '../../packages/engine/src/compensations.js';
import { StoreCalls } from '../../packages/engine/src/store-calls.js';
import { createRedisStore } from '../../packages/engine/src/store/redis/redis-store.js';
import { RedisServer } from './redis.js';
import { SETTLE_POLICY } from './settle-plans.js';
import { RedisProxy } from './tcp-proxy.js';
import { useStarted } from './use-started.js';

export const FAULTS = ['connections reset', 'server frozen'] as const;
export type Fault = (typeof FAULTS)[number];

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FaultedRedis {
  private constructor(
    readonly server: RedisServer,
    /** Straight to the server, past the proxy: for reading what the store wrote. */
    readonly admin: Redis,
    readonly proxy: RedisProxy,
    /** Through the proxy, giving up on a call after `timeoutMs`. */
    readonly store: Store,
    readonly timeoutMs: number,
  ) {}

  static async start(timeoutMs: number): Promise<FaultedRedis> {
    const server = await RedisServer.start();
    const admin = new Redis(server.url);
    const proxy = await RedisProxy.start(server.port, admin);
    const store = createRedisStore({ kind: 'redis', url: proxy.url, keyPrefix: 'tollgate', timeoutMs });
    return new FaultedRedis(server, admin, proxy, store, timeoutMs);
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.proxy.close();
    await this.admin.quit();
    await this.server.close();
  }

  /** Runs every send concurrently, each started 3 ms after the one before, while the fault happens. */
  async underFault(fault: Fault, sends: readonly (() => Promise<void>)[]): Promise<void> {
    const faults = this.injectFault(fault);
    await Promise.all(
      sends.map(async (send, i) => {
        await delay(3 * i);
        await send();
      }),
    );
    await faults;
  }

  /** Resets connections under the calls (a lost command, then a lost reply, several times), or freezes the server past the store timeout. */
  private async injectFault(fault: Fault): Promise<void> {
    if (fault === 'server frozen') {
      await delay(20);
      this.server.pause();
      await delay(3 * this.timeoutMs);
      this.server.unpause();
      return;
    }
    for (let i = 0; i < 6; i++) {
      await Promise.race([this.proxy.arm(i % 2 === 0 ? 'lose-next-command' : 'lose-next-reply'), delay(200)]);
      this.proxy.disarm();
      await delay(40);
    }
  }
}

/** A faulted Redis for the calling `describe`: started in its `beforeAll`, stopped in its `afterAll`. */
export function useFaultedRedis(timeoutMs: number): { readonly current: FaultedRedis } {
  return useStarted('the faulted Redis', () => FaultedRedis.start(timeoutMs));
}

/** Settlements of an account's holds as the engine sends them: one that fails goes to the compensation queue, which sends it again with the same amount until it lands. */
export class RetriedSettlements {
  private readonly calls: StoreCalls;
  private readonly compensations: Compensations;
  /** How many settlements failed and went to the queue. */
  retried = 0;

  constructor(
    redis: FaultedRedis,
    private readonly account: string,
    private readonly clock: Clock,
  ) {
    this.calls = new StoreCalls(redis.store, redis.timeoutMs, NO_OBSERVER);
    this.compensations = new Compensations(SETTLE_POLICY, this.calls, clock, NO_OBSERVER, 'release');
  }

  async settle(holdKey: string, actual: number): Promise<void> {
    const completion = { settle: actual };
    try {
      await this.calls.run('complete-hold', (s) => s.completeHold(this.account, holdKey, completion, this.clock.now()));
    } catch {
      this.retried++;
      this.compensations.retryCompletion(this.account, holdKey, completion);
    }
  }

  /** Resolves once every queued settlement has landed. */
  drained(): Promise<void> {
    return this.compensations.drained();
  }
}
