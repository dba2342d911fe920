// A separate OS process deciding against one Redis server: concurrency tests fork several (via
// forkTypeScript) and let them race for the same consumer over their own connections. The child
// says `ready` once loaded. For each job it connects and says `armed`, waits for `go` (so that a
// process slow to connect cannot miss the race), then answers with what it observed; it exits
// when the parent disconnects.
import { createAccounts, createEngine, ManualClock, type CreditOperation, type EngineConfig } from '../../packages/engine/src/index.js';
import { createRedisStore } from '../../packages/engine/src/store/redis/redis-store.js';

export type DeciderJob =
  | {
      readonly kind: 'decide';
      readonly url: string;
      readonly config: EngineConfig;
      readonly clock: number;
      readonly consumer: string;
      readonly requests: number;
      /** Decisions in flight at once. */
      readonly concurrency: number;
    }
  | {
      readonly kind: 'credits';
      readonly url: string;
      readonly clock: number;
      readonly account: string;
      readonly ops: readonly { readonly operation: CreditOperation; readonly amount: number; readonly key: string }[];
      readonly concurrency: number;
    };

export interface DeciderReport {
  /** Decisions by outcome: `allowed` or the deny reason; credit operations by result kind. */
  readonly counts: Readonly<Record<string, number>>;
  /** Decisions the failure mode answered (must be 0 here). */
  readonly degraded: number;
  /** Lowest balance any credit operation reported. */
  readonly lowestBalance?: number;
}

async function inParallel(total: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
}

export const ARMED = 'armed';
export const GO = 'go';

let go: (() => void) | undefined;

async function run(job: DeciderJob): Promise<DeciderReport> {
  const store = createRedisStore({ kind: 'redis', url: job.url, keyPrefix: 'tollgate', timeoutMs: 5000 });
  const clock = new ManualClock(job.clock);
  const counts: Record<string, number> = {};
  const count = (key: string): void => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  try {
    const accounts = createAccounts(store, clock);
    // A read that needs the connection: once it answered, every decision can go at once.
    await accounts.show(job.kind === 'credits' ? job.account : job.consumer);
    await new Promise<void>((resolve) => {
      go = resolve;
      process.send?.(ARMED);
    });
    if (job.kind === 'credits') {
      let lowestBalance = Infinity;
      await inParallel(job.ops.length, job.concurrency, async (i) => {
        const op = job.ops[i]!;
        const result = await accounts.changeCredits(job.account, op.operation, op.amount, op.key);
        count(result.kind);
        lowestBalance = Math.min(lowestBalance, result.balance);
      });
      return { counts, degraded: 0, lowestBalance };
    }
    const compiled = createEngine(job.config, store, clock);
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    const { engine } = compiled;
    let degraded = 0;
    await inParallel(job.requests, job.concurrency, async () => {
      const decision = await engine.decide({ method: 'GET', path: '/v1/forecast', headers: {}, query: {}, clientIp: '192.0.2.1', consumer: { username: job.consumer } });
      if (decision.log.degraded !== undefined) degraded++;
      count(decision.kind === 'allow' ? 'allowed' : decision.log.reason);
    });
    return { counts, degraded };
  } finally {
    await store.close();
  }
}

function reply(message: DeciderReport | { readonly error: string }): void {
  process.send?.(message);
}

process.on('message', (message: DeciderJob | typeof GO) => {
  if (message === GO) {
    go?.();
    return;
  }
  run(message).then(reply, (error: unknown) => {
    reply({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  });
});
process.send?.('ready');
