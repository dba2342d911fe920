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
  [ADMIT_SCRIPT, '62da3c721b6898ee816832a048d28b5c3b6bd897'],
  [PREVIEW_ADMIT_SCRIPT, '4ac5fb691b1b09e366ddb985ff19b58c57099c5a'],
  [COMPLETE_HOLD_SCRIPT, '7c2ea7b1909911d782c37135f0164263d0ae6909'],
  [CLAIM_PAYMENT_SCRIPT, 'efac77bada14d08de68bd3fe297f93f21a9bd9ad'],
  [CHANGE_CREDITS_SCRIPT, '4c68c730193366de8e67e4d768f660aa1d17cd67'],
  [UPDATE_ACCOUNT_SCRIPT, 'cf54117c49fe89e164802aefa393852f5f6e9f05'],
  [UPDATE_ACCOUNT_ONCE_SCRIPT, '6c1691bf08dea3e0e6e02ac2801f016646ef8ad3'],
  [VOID_ADMISSION_SCRIPT, 'd39f941762e606defcf984e740e2c401852fba15'],
  [FORGET_PAYMENT_SCRIPT, 'b3000ae7b05f6ad744a1bb374c87572e07477404'],
] as const;

describe('redis Lua scripts', () => {
  it.each(PINNED.map(([script, sha]) => [script.name, script, sha] as const))('%s has its pinned SHA1', (_name, script, sha) => {
    expect(createHash('sha1').update(script.lua).digest('hex')).toBe(sha);
    expect(script.sha).toBe(sha);
  });
});
