// `updateAccount`: applies a patch to the account hash and returns the account, atomically.
//
// KEYS[1]  account hash
// ARGV     field, value pairs; an empty value clears the field
// Reply    the account (see readAccount)
import { luaScript } from './script.js';
import { SHARED_LUA } from './shared.js';

const UPDATE_ACCOUNT_LUA = `
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return readAccount(KEYS[1])
`;

export const UPDATE_ACCOUNT_SCRIPT = luaScript('update-account', SHARED_LUA + UPDATE_ACCOUNT_LUA);
