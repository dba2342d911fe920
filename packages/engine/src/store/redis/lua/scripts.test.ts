// Each script's SHA1 is pinned: EVALSHA names scripts by it, and a changed script is a changed
// contract with data already in Redis. Editing a script means updating its SHA here, on purpose.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ADMIT_SCRIPT } from './admit.js';
import { CHANGE_CREDITS_SCRIPT } from './change-credits.js';
import { CLAIM_PAYMENT_SCRIPT } from './claim-payment.js';
import { COMPLETE_HOLD_SCRIPT } from './complete-hold.js';
import { UPDATE_ACCOUNT_SCRIPT } from './update-account.js';
import { UPDATE_ACCOUNT_ONCE_SCRIPT } from './update-account-once.js';

const PINNED = [
  [ADMIT_SCRIPT, '2804da1b8a8b6f052b898445ea80df4ac480c2cb'],
  [COMPLETE_HOLD_SCRIPT, '7b4583659ae24e2618e13ac23ab750022132a121'],
  [CLAIM_PAYMENT_SCRIPT, 'd602e33314f2a82d1303a9c48fd76c73eb74545f'],
  [CHANGE_CREDITS_SCRIPT, '11997906cfb326aa8876210be878063b19dfbdaa'],
  [UPDATE_ACCOUNT_SCRIPT, '581150042016dd64f9044708899c962c66a6656f'],
  [UPDATE_ACCOUNT_ONCE_SCRIPT, '18560c4ed7fe85c9bc98a8ee87f2ed0b2b29a1d6'],
] as const;

describe('redis Lua scripts', () => {
  it.each(PINNED.map(([script, sha]) => [script.name, script, sha] as const))('%s has its pinned SHA1', (_name, script, sha) => {
    expect(createHash('sha1').update(script.lua).digest('hex')).toBe(sha);
    expect(script.sha).toBe(sha);
  });
});
