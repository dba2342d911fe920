// previewAdmit (what `tollgate why` reads) answers exactly what admit then answers for the same
// state, and writes nothing: on the memory store and on a real redis-server, through windows
// filling up, a quota running out, credits running short and refilled, open holds and holds expiring.
// Invariant, asserted exactly at every step: preview(state) deep-equals admit(state), and the
// store after the preview is the store before it (Redis: every key's DUMP and PEXPIRETIME; memory:
// a twin store that never saw a preview answers every later call identically).
import { describe, expect, it } from 'vitest';
import { compileRouteRules } from '../packages/engine/src/compile/route-rules.js';
import { HOLD_TTL_MS, type Admission, type EngineConfig, type Store } from '../packages/engine/src/index.js';
import { MemoryStore } from '../packages/engine/src/store/memory/memory-store.js';
import { createRedisStore } from '../packages/engine/src/store/redis/redis-store.js';
import { redisSkipReason, redisSnapshot, useRedisServer } from './support/redis.js';
import { BASE_CONFIG } from './support/vectors.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

// The refill (below the cost, so it never changes an outcome) falls due at the first step and again on
// April 1st: its write is one the preview must leave out.
const START = Date.UTC(2026, 2, 31, 23, 59, 0);
const CONFIG: EngineConfig = {
  ...BASE_CONFIG,
  policy: 'preview',
  plans: [
    { name: 'pro', plan: { rateLimit: { minute: 3, window: 'sliding' }, quota: { units: 9, per: 'day' }, credits: true, refill: { amount: 1, every: 'day' } } },
    { name: 'free', plan: { rateLimit: { second: 1 } } },
  ],
  defaultPlan: 'free',
  costs: { default: 2, chargeOn: 'success' },
};
const rules = compileRouteRules(CONFIG)('forecast', 'GET');

/** The steps: when (ms after START), whether the admission holds (chargeOn: success), and how it completes. */
const STEPS: readonly { readonly at: number; readonly hold: boolean; readonly complete?: 'commit' | 'release' }[] = [
  { at: 0, hold: true, complete: 'commit' },
  { at: 1_000, hold: true },
  { at: 2_000, hold: false },
  { at: 3_000, hold: false },
  { at: 61_000, hold: true, complete: 'release' },
  { at: 62_000, hold: true },
  { at: 70_000, hold: false },
  // past HOLD_TTL_MS: the open holds of steps 2 and 6 are due and given back first
  { at: 1_000 + HOLD_TTL_MS + 1, hold: false },
  { at: 2_000 + HOLD_TTL_MS + 1, hold: false },
  { at: 62_000 + HOLD_TTL_MS + 1, hold: false },
  { at: 62_000 + HOLD_TTL_MS + 2, hold: false },
  // the next day: a fresh quota period
  { at: 24 * 3600_000, hold: false },
];

const admission = (account: string, step: (typeof STEPS)[number], i: number): Admission => ({
  account,
  scope: '',
  fallbackPlan: 'free',
  now: START + step.at,
  rules,
  ...(step.hold ? { holdKey: `hold:${account}.${i}` } : {}),
});

type Previewing = (preview: () => Promise<unknown>) => Promise<unknown>;

/** Runs the steps on `store`, each admission after its preview (run by `previewing`, and equal to it); none without `previewing`. */
async function runSteps(store: Store, account: string, previewing?: Previewing): Promise<unknown[]> {
  await store.updateAccount(account, { plan: 'pro' });
  await store.changeCredits(account, { operation: 'grant', amount: 9, now: START });
  const admitted: unknown[] = [];
  for (const [i, step] of STEPS.entries()) {
    const preview = await previewing?.(() => Promise.resolve(store.previewAdmit(admission(account, step, i))));
    const result = await store.admit(admission(account, step, i));
    if (previewing !== undefined) expect(preview, `step ${i}`).toEqual(result);
    admitted.push(result);
    if (step.complete !== undefined) await store.completeHold(account, `hold:${account}.${i}`, step.complete, START + step.at + 10);
  }
  return admitted;
}

describe('previewAdmit answers what admit answers, and writes nothing', () => {
  it('memory store: the same answers as admit, and a twin that never previewed stays identical', async () => {
    const store = new MemoryStore();
    const twin = new MemoryStore();
    const withPreviews = await runSteps(store, 'alice', (preview) => preview());
    const without = await runSteps(twin, 'alice');
    expect(withPreviews).toEqual(without);
    const outcomes = withPreviews.map((r) => (r as { outcome: string }).outcome);
    // The path the steps take: the sliding window fills and stays full for a minute, then credits run short.
    expect(outcomes).toEqual(['allowed', 'allowed', 'allowed', 'rate-limited', 'rate-limited', 'rate-limited', 'rate-limited', 'allowed', 'allowed', 'insufficient-credits', 'insufficient-credits', 'insufficient-credits']);
    // Step 7 found step 1's open hold due: its 2 credits came back before it drew 2 of the 3 left (9 − 3 × 2).
    expect((withPreviews[7] as { account: { credits: number } }).account.credits).toBe(3);
    expect(store.getAccount('alice')).toEqual(twin.getAccount('alice'));
    expect(twin.stats.accounts).toBe(1);
  });

  describe.skipIf(skip !== undefined)('redis store', () => {
    const redis = useRedisServer();
    const snapshot = () => redisSnapshot(redis.admin);

    it('the same answers as admit at every step, and the data set is unchanged by each preview', async () => {
      const store = createRedisStore({ kind: 'redis', url: redis.server.url, keyPrefix: 'preview', timeoutMs: 2000 });
      try {
        const results = await runSteps(store, 'alice', async (preview) => {
          const before = await snapshot();
          const result = await preview();
          expect(await snapshot()).toEqual(before);
          return result;
        });
        // The memory store, the reference semantics, took the same path.
        expect(results).toEqual(await runSteps(new MemoryStore(), 'alice', (preview) => preview()));
      } finally {
        await store.close();
      }
    });
  });
});
