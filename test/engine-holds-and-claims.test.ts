// The store primitives behind "charge only on success" and x402 replay protection, on every store:
// a hold is committed or released exactly once, expires into a release when no answer ever comes,
// and a payment's replay key is claimed once until it expires or is forgotten.
import { describe, expect, it } from 'vitest';
import { compileRouteRules } from '../packages/engine/src/compile/route-rules.js';
import { createMemoryStore, HOLD_TTL_MS, type Admission, type Store } from '../packages/engine/src/index.js';
import { redisStoresUnderTest } from './support/redis.js';
import { BASE_CONFIG } from './support/vectors.js';

const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);
const rules = compileRouteRules({
  ...BASE_CONFIG,
  plans: [{ name: 'prepaid', plan: { quota: { requests: 10, per: 'month' }, credits: true } }],
  costs: { default: 2, chargeOn: 'success' },
})('forecast', 'GET');

const STORES: { name: string; create(): Promise<Store> }[] = [{ name: 'memory', create: () => Promise.resolve(createMemoryStore()) }, ...redisStoresUnderTest()];

function admission(holdKey: string, now = NOW): Admission {
  return { account: 'alice', scope: '', fallbackPlan: 'prepaid', now, rules, holdKey };
}

async function funded(create: () => Promise<Store>, credits: number): Promise<Store> {
  const store = await create();
  await store.changeCredits('alice', { operation: 'grant', amount: credits, now: NOW });
  return store;
}

describe.each(STORES)('$name store: chargeOn success holds', (row) => {
  const create = () => row.create();
  it('commits once: the charge stays, and neither a second commit nor a late release changes anything', async () => {
    const store = await funded(create, 10);
    expect(await store.admit(admission('h1'))).toMatchObject({ outcome: 'allowed', charged: 2, account: { credits: 8 }, quotas: [{ used: 1 }] });
    expect(await store.completeHold('alice', 'h1', 'commit', NOW + 10)).toEqual({ kind: 'committed', credits: 2 });
    expect(await store.completeHold('alice', 'h1', 'commit', NOW + 20)).toEqual({ kind: 'nothing-held' });
    expect(await store.completeHold('alice', 'h1', 'release', NOW + 30)).toEqual({ kind: 'nothing-held' });
    expect((await store.getAccount('alice')).credits).toBe(8);
    await store.close();
  });

  it('releases once: credits and quota come back, and a later commit keeps nothing', async () => {
    const store = await funded(create, 10);
    await store.admit(admission('h1'));
    expect(await store.completeHold('alice', 'h1', 'release', NOW + 10)).toEqual({ kind: 'released', credits: 2 });
    expect(await store.completeHold('alice', 'h1', 'commit', NOW + 20)).toEqual({ kind: 'nothing-held' });
    expect(await store.completeHold('alice', 'h1', 'release', NOW + 20)).toEqual({ kind: 'nothing-held' });
    // The next admission sees the quota unit back too: used 1 again, not 2.
    expect(await store.admit(admission('h2', NOW + 30))).toMatchObject({ outcome: 'allowed', account: { credits: 8 }, quotas: [{ used: 1 }] });
    await store.close();
  });

  it('gives a hold back when no answer came before it expired, at the next admission', async () => {
    const store = await funded(create, 4);
    await store.admit(admission('lost-1'));
    await store.admit(admission('lost-2'));
    expect(await store.admit(admission('h3', NOW + 1))).toMatchObject({ outcome: 'insufficient-credits', account: { credits: 0 } });
    // Just before expiry both are still held.
    expect(await store.admit(admission('h4', NOW + HOLD_TTL_MS - 1))).toMatchObject({ outcome: 'insufficient-credits' });
    const later = NOW + HOLD_TTL_MS;
    expect(await store.admit(admission('h5', later))).toMatchObject({ outcome: 'allowed', account: { credits: 2 }, quotas: [{ used: 1 }] });
    // The expired holds can no longer be committed (the response came too late) nor released twice.
    expect(await store.completeHold('alice', 'lost-1', 'commit', later + 1)).toEqual({ kind: 'nothing-held' });
    expect(await store.completeHold('alice', 'lost-2', 'release', later + 1)).toEqual({ kind: 'nothing-held' });
    expect((await store.getAccount('alice')).credits).toBe(2);
    await store.close();
  });

  it('gives expired holds back on a credit change and on completing another hold', async () => {
    const store = await funded(create, 4);
    await store.admit(admission('lost'));
    await store.admit(admission('open', NOW + HOLD_TTL_MS - 1000));
    expect(await store.completeHold('alice', 'open', 'commit', NOW + HOLD_TTL_MS)).toEqual({ kind: 'committed', credits: 2 });
    expect((await store.getAccount('alice')).credits).toBe(2);
    await store.admit(admission('lost-again', NOW + HOLD_TTL_MS + 1));
    expect(await store.changeCredits('alice', { operation: 'grant', amount: 1, now: NOW + 2 * HOLD_TTL_MS + 1 })).toEqual({ kind: 'applied', balance: 3 });
    await store.close();
  });

  it('records no hold when the admission is refused or takes nothing', async () => {
    const store = await create();
    expect(await store.admit(admission('refused'))).toMatchObject({ outcome: 'insufficient-credits' });
    expect(await store.completeHold('alice', 'refused', 'release', NOW + 1)).toEqual({ kind: 'nothing-held' });
    expect(await store.completeHold('nobody', 'h', 'commit', NOW + 1)).toEqual({ kind: 'nothing-held' });
    await store.close();
  });
});

describe.each(STORES)('$name store: payment replay keys', (row) => {
  const create = () => row.create();
  it('claims a key once until it expires', async () => {
    const store = await create();
    expect(await store.claimPayment('k1', NOW + 60_000, NOW)).toBe('claimed');
    expect(await store.claimPayment('k1', NOW + 60_000, NOW + 1)).toBe('replayed');
    expect(await store.claimPayment('k1', NOW + 60_000, NOW + 59_999)).toBe('replayed');
    expect(await store.claimPayment('k2', NOW + 60_000, NOW + 1)).toBe('claimed');
    expect(await store.claimPayment('k1', NOW + 120_000, NOW + 60_000)).toBe('claimed');
    await store.close();
  });

  it('lets a forgotten (unsettled) payment be claimed again', async () => {
    const store = await create();
    expect(await store.claimPayment('k', NOW + 60_000, NOW)).toBe('claimed');
    await store.forgetPayment('k');
    expect(await store.claimPayment('k', NOW + 60_000, NOW)).toBe('claimed');
    await store.forgetPayment('never-claimed');
    await store.close();
  });

  it('claims one key exactly once among concurrent claims', async () => {
    const store = await create();
    const claims = await Promise.all(Array.from({ length: 50 }, () => Promise.resolve(store.claimPayment('race', NOW + 60_000, NOW))));
    expect(claims.filter((c) => c === 'claimed')).toHaveLength(1);
    await store.close();
  });
});

describe.each(STORES)('$name store: costs.onUnsettled commit', (row) => {
  it('commits a hold whose outcome never arrived when it expires, instead of giving it back', async () => {
    const committing = compileRouteRules({
      ...BASE_CONFIG,
      plans: [{ name: 'prepaid', plan: { quota: { requests: 10, per: 'month' }, credits: true } }],
      costs: { default: 2, chargeOn: 'success', onUnsettled: 'commit' },
    })('forecast', 'GET');
    const store = await funded(() => row.create(), 10);
    await store.admit({ ...admission('unsettled'), rules: committing });
    const later = NOW + HOLD_TTL_MS;
    expect(await store.admit({ ...admission('next', later), rules: committing })).toMatchObject({ outcome: 'allowed', account: { credits: 6 }, quotas: [{ used: 2 }] });
    expect(await store.completeHold('alice', 'unsettled', 'release', later + 1)).toEqual({ kind: 'nothing-held' });
    await store.close();
  });
});
