// Each script's SHA1 is pinned: EVALSHA names scripts by it, and a changed script is a changed
// contract with data already in Redis. Editing a script means updating its SHA here, on purpose.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ADMIT_SCRIPT } from './admit.js';
import { CHANGE_CREDITS_SCRIPT } from './change-credits.js';
import { RELEASE_SCRIPT } from './release.js';
import { UPDATE_ACCOUNT_SCRIPT } from './update-account.js';

const PINNED = [
  [ADMIT_SCRIPT, '7e8f5d31768e9bd78a89ef8c3cd20c004649c15d'],
  [RELEASE_SCRIPT, '1dd8d1a3a03fa031882a8539fb79903a5e36b4ad'],
  [CHANGE_CREDITS_SCRIPT, 'a733126a21198250bc1ca52943ff70689a6db666'],
  [UPDATE_ACCOUNT_SCRIPT, '0742c6241aa28ccb874b49cdad53f7e028615a49'],
] as const;

describe('redis Lua scripts', () => {
  it.each(PINNED.map(([script, sha]) => [script.name, script, sha] as const))('%s has its pinned SHA1', (_name, script, sha) => {
    expect(createHash('sha1').update(script.lua).digest('hex')).toBe(sha);
    expect(script.sha).toBe(sha);
  });
});
