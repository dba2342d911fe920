import { describe, expect, it } from 'vitest';
import { AccountInputError, createAccounts } from './accounts.js';
import { ManualClock } from './clock.js';
import { createMemoryStore } from './store/memory/memory-store.js';

const accounts = createAccounts(createMemoryStore(), new ManualClock(0));

describe('account operations', () => {
  it('refuse bad input with a message saying what to fix', async () => {
    await expect(accounts.changeCredits('alice', 'grant', 0)).rejects.toThrow(new AccountInputError('amount must be a positive integer, got 0'));
    await expect(accounts.changeCredits('alice', 'grant', 1.5)).rejects.toThrow(AccountInputError);
    await expect(accounts.changeCredits('alice', 'debit', 1)).rejects.toThrow('debit needs an idempotency key');
    await expect(accounts.changeCredits('alice', 'refund', 1, '')).rejects.toThrow('idempotency key must be 1–200 characters');
    await expect(accounts.setStatus('alice', 'happy')).rejects.toThrow(/^unknown status "happy" \(use active, trialing/);
    await expect(accounts.show('')).rejects.toThrow('account must not be empty');
  });

  it('set plan and status, and clear them', async () => {
    await accounts.setPlan('bob', 'pro');
    expect(await accounts.setStatus('bob', 'active', { paidThrough: 1000 })).toEqual({ plan: 'pro', status: 'active', paidThrough: 1000, credits: 0 });
    await accounts.setPlan('bob', null);
    expect(await accounts.setStatus('bob', 'canceled', { paidThrough: null })).toEqual({ status: 'canceled', credits: 0 });
  });

  it('keep hash-tag braces out of account ids', async () => {
    await accounts.changeCredits('{evil}', 'grant', 3);
    expect((await accounts.show('{evil}')).credits).toBe(3);
    expect((await accounts.show('%7Bevil%7D')).credits).toBe(0);
  });
});
