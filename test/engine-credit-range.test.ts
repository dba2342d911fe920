// Credit balances are exact integers: a change that would leave a balance past
// Number.MAX_SAFE_INTEGER (where a double, in JS and in Lua alike, stops counting by one) is
// refused and changes nothing, on the memory store, redis-server and Redis Cluster.
import { describe, expect, it } from 'vitest';
import { createMemoryStore, type Store } from '../packages/engine/src/index.js';
import { redisStoresUnderTest } from './support/redis.js';

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const MAX = Number.MAX_SAFE_INTEGER;
const stores = [{ name: 'memory', create: () => Promise.resolve<Store>(createMemoryStore()) }, ...redisStoresUnderTest()];

describe.each(stores)('credit balances stay safe integers on the $name store', (row) => {
  it('refuses a grant or refund that would pass 2^53 - 1, changes nothing, records no key; the exact maximum is fine', async () => {
    const store = await row.create();
    try {
      expect(await store.changeCredits('whale', { operation: 'grant', amount: MAX - 5, now: NOW })).toEqual({ kind: 'applied', balance: MAX - 5 });
      expect(await store.changeCredits('whale', { operation: 'grant', amount: 6, now: NOW })).toEqual({ kind: 'out-of-range', balance: MAX - 5 });
      expect(await store.changeCredits('whale', { operation: 'refund', amount: 10, key: 'r1', now: NOW })).toEqual({ kind: 'out-of-range', balance: MAX - 5 });
      expect(await store.changeCredits('whale', { operation: 'grant', amount: MAX, now: NOW })).toEqual({ kind: 'out-of-range', balance: MAX - 5 });
      expect(await store.getAccount('whale')).toEqual({ credits: MAX - 5 });
      // The refused key was not used: the same key works once the balance has room.
      expect(await store.changeCredits('whale', { operation: 'debit', amount: 10, key: 'd1', now: NOW })).toEqual({ kind: 'applied', balance: MAX - 15 });
      expect(await store.changeCredits('whale', { operation: 'refund', amount: 10, key: 'r1', now: NOW })).toEqual({ kind: 'applied', balance: MAX - 5 });
      expect(await store.changeCredits('whale', { operation: 'grant', amount: 5, now: NOW })).toEqual({ kind: 'applied', balance: MAX });
      expect(await store.getAccount('whale')).toEqual({ credits: MAX });
    } finally {
      await store.close();
    }
  });
});
