// Each script's SHA1 is pinned: EVALSHA names scripts by it, and a changed script is a changed
// contract with data already in Redis. Editing a script means updating its SHA here, on purpose.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ADMIT_SCRIPT } from './admit.js';
import { PREVIEW_ADMIT_SCRIPT } from './preview-admit.js';
import { CHANGE_CREDITS_SCRIPT } from './change-credits.js';
import { CLAIM_PAYMENT_SCRIPT } from './claim-payment.js';
import { COMPLETE_HOLD_SCRIPT } from './complete-hold.js';
import { FORGET_PAYMENT_SCRIPT } from './forget-payment.js';
import { UPDATE_ACCOUNT_SCRIPT } from './update-account.js';
import { UPDATE_ACCOUNT_ONCE_SCRIPT } from './update-account-once.js';
import { VOID_ADMISSION_SCRIPT } from './void-admission.js';

const PINNED = [
  [ADMIT_SCRIPT, '12d9c956f9c7eb0f711f231db87ee82930ee473a'],
  [PREVIEW_ADMIT_SCRIPT, 'ededc67d716e41f3ad6146e9c140b849d3df6aab'],
  [COMPLETE_HOLD_SCRIPT, 'f5d415f2e9fbf8aee9b2a1a346a1e0331bef5c54'],
  [CLAIM_PAYMENT_SCRIPT, 'efac77bada14d08de68bd3fe297f93f21a9bd9ad'],
  [CHANGE_CREDITS_SCRIPT, '8b48c28106dbd8c9b5366c27d9538032c5d426c7'],
  [UPDATE_ACCOUNT_SCRIPT, 'c613319010a2a7c63692bd8e49246d061f1c6d21'],
  [UPDATE_ACCOUNT_ONCE_SCRIPT, '9f3122daf715b7592b1328fa57f6f437f25225d1'],
  [VOID_ADMISSION_SCRIPT, '047771eeda2716c65d0b7073855b72acabbea77c'],
  [FORGET_PAYMENT_SCRIPT, 'b3000ae7b05f6ad744a1bb374c87572e07477404'],
] as const;

describe('redis Lua scripts', () => {
  it.each(PINNED.map(([script, sha]) => [script.name, script, sha] as const))('%s has its pinned SHA1', (_name, script, sha) => {
    expect(createHash('sha1').update(script.lua).digest('hex')).toBe(sha);
    expect(script.sha).toBe(sha);
  });
});
