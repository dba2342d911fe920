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
  [ADMIT_SCRIPT, '0a4f2d6ad7f6b80db40cd64a98226712f70b22c8'],
  [PREVIEW_ADMIT_SCRIPT, 'a42faba97bc6ce23b730e7dd75795c9a035778f3'],
  [COMPLETE_HOLD_SCRIPT, '5818a8e1f22f4527d2b56200c94649898e85fda6'],
  [CLAIM_PAYMENT_SCRIPT, 'efac77bada14d08de68bd3fe297f93f21a9bd9ad'],
  [CHANGE_CREDITS_SCRIPT, '64c91257094f60224379e3f83f228f8747c128a3'],
  [UPDATE_ACCOUNT_SCRIPT, 'c613319010a2a7c63692bd8e49246d061f1c6d21'],
  [UPDATE_ACCOUNT_ONCE_SCRIPT, '9f3122daf715b7592b1328fa57f6f437f25225d1'],
  [VOID_ADMISSION_SCRIPT, '89ed77dbdea2a4678d4dfb59769bb7391fe650e8'],
  [FORGET_PAYMENT_SCRIPT, 'b3000ae7b05f6ad744a1bb374c87572e07477404'],
] as const;

describe('redis Lua scripts', () => {
  it.each(PINNED.map(([script, sha]) => [script.name, script, sha] as const))('%s has its pinned SHA1', (_name, script, sha) => {
    expect(createHash('sha1').update(script.lua).digest('hex')).toBe(sha);
    expect(script.sha).toBe(sha);
  });
});
