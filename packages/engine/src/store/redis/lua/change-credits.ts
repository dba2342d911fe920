// `changeCredits`: grant, debit or refund, idempotent by key. A key seen before (and not expired
// by the engine's clock) answers duplicate or conflict and changes nothing; a debit never takes
// the balance below zero, and a grant or refund never past MAX_CREDITS (Lua numbers are doubles
// too: compared before anything is written, the sum may be inexact but is never below the limit
// when the exact one is above it). Expired holds of the account are given back first (holds.ts).
//
// KEYS[1]  account hash, KEYS[2] the key's ledger hash (absent without a key)
// ARGV     operation, amount, now (ms), key TTL (ms), key base, MAX_CREDITS
// Reply    kind, balance
import { HOLDS_LUA } from './holds.js';
import { luaScript } from './script.js';

const CHANGE_CREDITS_LUA = `
local operation = ARGV[1]
local amount = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
if expireHolds(KEYS[1], ARGV[5], now) > 0 then noteHoldsDue(KEYS[1], ARGV[5]) end
local balance = tonumber(redis.call('HGET', KEYS[1], 'credits')) or 0
local ledgerKey = KEYS[2]
if ledgerKey then
  local seen = redis.call('HMGET', ledgerKey, 'operation', 'amount', 'expires')
  if seen[3] and tonumber(seen[3]) > now then
    if seen[1] == operation and tonumber(seen[2]) == amount then return {'duplicate', balance} end
    return {'conflict', balance}
  end
end
if operation == 'debit' then
  if balance < amount then return {'insufficient', balance} end
  balance = balance - amount
else
  if balance + amount > tonumber(ARGV[6]) then return {'out-of-range', balance} end
  balance = balance + amount
end
redis.call('HSET', KEYS[1], 'credits', balance)
if ledgerKey then
  redis.call('DEL', ledgerKey)
  redis.call('HSET', ledgerKey, 'operation', operation, 'amount', amount, 'expires', string.format('%.0f', now + ttl))
  redis.call('PEXPIRE', ledgerKey, ttl)
end
return {'applied', balance}
`;

export const CHANGE_CREDITS_SCRIPT = luaScript('change-credits', HOLDS_LUA + CHANGE_CREDITS_LUA);
