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
  [ADMIT_SCRIPT, 'a34c0f1c3189b8caa5601d05812a6c874cbd8c96'],
  [COMPLETE_HOLD_SCRIPT, 'c385fadfda93669e721c1da6ff4db9f9609dd470'],
  [CLAIM_PAYMENT_SCRIPT, 'd602e33314f2a82d1303a9c48fd76c73eb74545f'],
  [CHANGE_CREDITS_SCRIPT, 'd28bc54a5a2c4ef3ea8e34519256239b01bc7843'],
  [UPDATE_ACCOUNT_SCRIPT, 'cf54117c49fe89e164802aefa393852f5f6e9f05'],
  [UPDATE_ACCOUNT_ONCE_SCRIPT, '6c1691bf08dea3e0e6e02ac2801f016646ef8ad3'],
] as const;

describe('redis Lua scripts', () => {
  it.each(PINNED.map(([script, sha]) => [script.name, script, sha] as const))('%s has its pinned SHA1', (_name, script, sha) => {
    expect(createHash('sha1').update(script.lua).digest('hex')).toBe(sha);
    expect(script.sha).toBe(sha);
  });
});
