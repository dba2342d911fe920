// `updateAccount`: applies a patch to the account hash and returns the account, atomically.
//
// KEYS[1]  account hash
// ARGV     field, value pairs; an empty value clears the field
// Reply    the account (see readAccount)
import { luaScript } from './script.js';

/** `readAccount(key)`: the account as a reply: plan, status, paidThrough, periodAnchor (false when absent), credits, grants (lua/grants.ts; false when none). */
export const READ_ACCOUNT_LUA = `
local function readAccount(key)
  local a = redis.call('HMGET', key, 'plan', 'status', 'paidThrough', 'periodAnchor', 'credits', 'grants')
  a[5] = tonumber(a[5]) or 0
  return a
end
`;

/** `applyPatch(key, first)`: the field, value pairs of ARGV from index `first` onto the account hash. */
export const PATCH_LUA = `
local function applyPatch(key, first)
  for i = first, #ARGV, 2 do
    if ARGV[i + 1] == '' then
      redis.call('HDEL', key, ARGV[i])
    else
      redis.call('HSET', key, ARGV[i], ARGV[i + 1])
    end
  end
end
`;

const UPDATE_ACCOUNT_LUA = `
applyPatch(KEYS[1], 1)
return readAccount(KEYS[1])
`;

export const UPDATE_ACCOUNT_SCRIPT = luaScript('update-account', READ_ACCOUNT_LUA + PATCH_LUA + UPDATE_ACCOUNT_LUA);
