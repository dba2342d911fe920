// `updateAccountOnce`: applies a patch to the account hash at most once per idempotency key,
// atomically; with an event stamp, only the fields no later event has set. The key's ledger entry
// lives under the account's hash tag (like credit keys), and each field's stamp in the account
// hash (`stamp:<field>` = `<at>:<rank>:<id>`), so in Redis Cluster the check, the ordering, the
// patch and the record are one script in one slot.
//
// KEYS[1]  account hash, KEYS[2] the key's ledger hash
// ARGV     now (ms), key TTL (ms), ledger operation name, stamp at, rank and id (all three empty
//          without a stamp), then field, value pairs (empty value clears)
// Reply    'applied', 'stale' or 'duplicate', then the account (see readAccount)
import { luaScript } from './script.js';
import { SHARED_LUA } from './shared.js';
import { PATCH_LUA, READ_ACCOUNT_LUA } from './update-account.js';

const FIRST_FIELD = 7;

// Ids are compared byte by byte: Lua's own string order follows the server's locale (strcoll).
const STAMP_LUA = `
local function bytesAfter(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return #a > #b
end

local function isLater(at, rank, id, last)
  if not last then return true end
  local lastAt, lastRank, lastId = string.match(last, '^(%d+):(%d+):(.*)$')
  lastAt, lastRank = tonumber(lastAt), tonumber(lastRank)
  if at ~= lastAt then return at > lastAt end
  if rank ~= lastRank then return rank > lastRank end
  return bytesAfter(id, lastId)
end

-- Writes each field of the patch that no later event has set, with its stamp; how many it wrote.
local function applyNewer(key, first, at, rank, id)
  local stamp = int(at) .. ':' .. int(rank) .. ':' .. id
  local written = 0
  for i = first, #ARGV, 2 do
    local stampField = 'stamp:' .. ARGV[i]
    if isLater(at, rank, id, redis.call('HGET', key, stampField)) then
      if ARGV[i + 1] == '' then
        redis.call('HDEL', key, ARGV[i])
      else
        redis.call('HSET', key, ARGV[i], ARGV[i + 1])
      end
      redis.call('HSET', key, stampField, stamp)
      written = written + 1
    end
  end
  return written
end
`;

const UPDATE_ACCOUNT_ONCE_LUA = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local expires = tonumber(redis.call('HGET', KEYS[2], 'expires'))
if expires and expires > now then return {'duplicate', readAccount(KEYS[1])} end
local kind = 'applied'
if ARGV[4] == '' then
  applyPatch(KEYS[1], ${FIRST_FIELD})
elseif applyNewer(KEYS[1], ${FIRST_FIELD}, tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]) == 0 and #ARGV >= ${FIRST_FIELD} then
  kind = 'stale'
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'operation', ARGV[3], 'amount', 0, 'expires', int(now + ttl))
redis.call('PEXPIRE', KEYS[2], ttl)
return {kind, readAccount(KEYS[1])}
`;

export const UPDATE_ACCOUNT_ONCE_SCRIPT = luaScript('update-account-once', SHARED_LUA + READ_ACCOUNT_LUA + PATCH_LUA + STAMP_LUA + UPDATE_ACCOUNT_ONCE_LUA);
