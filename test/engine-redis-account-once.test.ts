// `updateAccountOnce` on every store: the memory store (the reference) and Redis standalone and
// Cluster. A patch applies once per idempotency key of an account, atomically, however many
// deliveries race; the key is remembered CREDIT_KEY_TTL_MS by the engine clock and shares the
// account's credit ledger. With an event stamp, each field keeps the latest event's value.
import { describe, expect, it } from 'vitest';
import { createMemoryStore, CREDIT_KEY_TTL_MS, type Store } from '../packages/engine/src/index.js';
import { redisStoresUnderTest } from './support/redis.js';

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const stores = [{ name: 'memory', create: () => Promise.resolve<Store>(createMemoryStore()) }, ...redisStoresUnderTest()];

describe.each(stores)('updateAccountOnce on the $name store', (row) => {
  async function withStore(test: (store: Store) => Promise<void>): Promise<void> {
    const store = await row.create();
    try {
      await test(store);
    } finally {
      await store.close();
    }
  }

  it('applies a patch the first time a key is used and changes nothing after, even when the account moved on', () =>
    withStore(async (store) => {
      expect(await store.updateAccountOnce('acme', { plan: 'pro', status: 'active', paidThrough: NOW }, 'evt-1', NOW)).toEqual({
        kind: 'applied',
        account: { plan: 'pro', status: 'active', paidThrough: NOW, credits: 0 },
      });
      await store.updateAccount('acme', { status: 'past_due' });
      expect(await store.updateAccountOnce('acme', { status: 'active', paidThrough: null }, 'evt-1', NOW + 1000)).toEqual({
        kind: 'duplicate',
        account: { plan: 'pro', status: 'past_due', paidThrough: NOW, credits: 0 },
      });
      expect(await store.getAccount('acme')).toEqual({ plan: 'pro', status: 'past_due', paidThrough: NOW, credits: 0 });
    }));

  it('keeps keys per account: another key, or the same key on another account, applies', () =>
    withStore(async (store) => {
      await store.updateAccountOnce('acme', { plan: 'pro' }, 'evt-1', NOW);
      expect(await store.updateAccountOnce('acme', { plan: null, status: 'canceled' }, 'evt-2', NOW)).toEqual({ kind: 'applied', account: { status: 'canceled', credits: 0 } });
      expect((await store.updateAccountOnce('globex', { plan: 'free' }, 'evt-1', NOW)).kind).toBe('applied');
      expect(await store.getAccount('globex')).toEqual({ plan: 'free', credits: 0 });
    }));

  it('forgets a key CREDIT_KEY_TTL_MS after it was used, by the engine clock', () =>
    withStore(async (store) => {
      await store.updateAccountOnce('acme', { plan: 'pro' }, 'evt-1', NOW);
      expect((await store.updateAccountOnce('acme', { plan: 'free' }, 'evt-1', NOW + CREDIT_KEY_TTL_MS - 1)).kind).toBe('duplicate');
      expect(await store.updateAccountOnce('acme', { plan: 'free' }, 'evt-1', NOW + CREDIT_KEY_TTL_MS)).toEqual({ kind: 'applied', account: { plan: 'free', credits: 0 } });
    }));

  it('applies one of many concurrent calls with one key, and only that one', () =>
    withStore(async (store) => {
      const statuses = ['active', 'trialing', 'past_due', 'unpaid', 'canceled', 'incomplete', 'paused'] as const;
      const results = await Promise.all(statuses.map(async (status) => store.updateAccountOnce('acme', { status }, 'evt-burst', NOW)));
      const applied = results.filter((r) => r.kind === 'applied');
      expect(applied).toHaveLength(1);
      expect(await store.getAccount('acme')).toEqual(applied[0]?.account);
    }));

  it('shares the ledger with credit operations: a credit change reusing the key is a conflict', () =>
    withStore(async (store) => {
      await store.updateAccountOnce('acme', { plan: 'pro' }, 'shared-key', NOW);
      expect(await store.changeCredits('acme', { operation: 'grant', amount: 5, key: 'shared-key', now: NOW })).toEqual({ kind: 'conflict', balance: 0 });
      await store.changeCredits('acme', { operation: 'grant', amount: 5, key: 'grant-key', now: NOW });
      expect((await store.updateAccountOnce('acme', { plan: 'free' }, 'grant-key', NOW)).kind).toBe('duplicate');
      expect(await store.getAccount('acme')).toEqual({ plan: 'pro', credits: 5 });
    }));

  it('with an event stamp, writes only the fields no later event has set, and records the key either way', () =>
    withStore(async (store) => {
      const stamp = (at: number, rank = 0, id = 'evt') => ({ at, rank, id });
      await store.updateAccountOnce('acme', { status: 'canceled' }, 'evt-late', NOW, stamp(200));
      expect(await store.updateAccountOnce('acme', { plan: 'pro', status: 'active', paidThrough: NOW }, 'evt-early', NOW, stamp(100))).toEqual({
        kind: 'applied',
        account: { plan: 'pro', status: 'canceled', paidThrough: NOW, credits: 0 },
      });
      expect(await store.updateAccountOnce('acme', { status: 'past_due', paidThrough: null }, 'evt-earlier', NOW, stamp(99))).toEqual({
        kind: 'stale',
        account: { plan: 'pro', status: 'canceled', paidThrough: NOW, credits: 0 },
      });
      expect((await store.updateAccountOnce('acme', { status: 'active' }, 'evt-earlier', NOW, stamp(300))).kind).toBe('duplicate');
      // Within one `at`: the higher rank, then the greater id byte by byte ('a' 0x61 after 'Z' 0x5a, whatever the locale).
      expect((await store.updateAccountOnce('acme', { status: 'active' }, 'evt-rank', NOW, stamp(200, 1))).kind).toBe('applied');
      expect((await store.updateAccountOnce('acme', { status: 'unpaid' }, 'evt-rank-0', NOW, stamp(200, 0, 'zzz'))).kind).toBe('stale');
      expect((await store.updateAccountOnce('acme', { status: 'past_due' }, 'evt-id-a', NOW, stamp(200, 1, 'evt_a'))).kind).toBe('applied');
      expect((await store.updateAccountOnce('acme', { status: 'unpaid' }, 'evt-id-Z', NOW, stamp(200, 1, 'evt_Z'))).kind).toBe('stale');
      expect((await store.getAccount('acme')).status).toBe('past_due');
      await expect(Promise.resolve().then(() => store.updateAccountOnce('acme', { status: 'active' }, 'evt-bad', NOW, stamp(1.5)))).rejects.toThrow(RangeError);
    }));
});
