// `updateAccountOnce`: applies a patch to the account hash at most once per idempotency key,
// atomically. The key's ledger entry lives under the account's hash tag (like credit keys), so in
// Redis Cluster the check, the patch and the record are one script in one slot.
//
// KEYS[1]  account hash, KEYS[2] the key's ledger hash
// ARGV     now (ms), key TTL (ms), ledger operation name, then field, value pairs (empty value clears)
// Reply    'applied' or 'duplicate', then the account (see readAccount)
import { luaScript } from './script.js';
import { SHARED_LUA } from './shared.js';
import { PATCH_LUA, READ_ACCOUNT_LUA } from './update-account.js';

const UPDATE_ACCOUNT_ONCE_LUA = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local expires = tonumber(redis.call('HGET', KEYS[2], 'expires'))
if expires and expires > now then return {'duplicate', readAccount(KEYS[1])} end
applyPatch(KEYS[1], 4)
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'operation', ARGV[3], 'amount', 0, 'expires', int(now + ttl))
redis.call('PEXPIRE', KEYS[2], ttl)
return {'applied', readAccount(KEYS[1])}
`;

export const UPDATE_ACCOUNT_ONCE_SCRIPT = luaScript('update-account-once', SHARED_LUA + READ_ACCOUNT_LUA + PATCH_LUA + UPDATE_ACCOUNT_ONCE_LUA);
