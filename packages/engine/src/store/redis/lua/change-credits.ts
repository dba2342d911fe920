// `changeCredits`: grant (permanent, or expiring: grants.ts), debit or refund, idempotent by key.
// A key seen before (and not expired by the engine's clock) answers duplicate or conflict (another
// operation, amount or expiry) and changes nothing; a debit never takes the balance below zero and
// spends soonest-expiring grants first; a grant or refund never passes MAX_CREDITS (Lua numbers
// are doubles too: compared before anything is written, the sum may be inexact but is never below
// the limit when the exact one is above it); an expiring grant opens no more than MAX_OPEN_GRANTS.
// The account's expired grants are dropped, then its expired holds given back, first (holds.ts).
//
// A refund naming a debit (CreditChange.debitKey) gives back, up to what is left of that debit, what
// it took: last taken first, to its grants while they are open (grants.ts); the debit's ledger
// hash keeps `left` and `g` (what of that came from grants) for that.
//
// KEYS[1]  account hash, KEYS[2] the key's ledger hash (absent without a key), then the named
//          debit's ledger hash (only with a debit key)
// ARGV     operation, amount, now (ms), key TTL (ms), key base, MAX_CREDITS, the grant's expiry
//          (ms; '' = permanent), the refund's debit key ('' = none)
// Reply    kind, balance
import { GRANTS_LUA } from './grants.js';
import { HOLDS_LUA } from './holds.js';
import { luaScript } from './script.js';
import { SHARED_LUA } from './shared.js';

const CHANGE_CREDITS_LUA = `
local operation = ARGV[1]
local amount = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local expiresAt = tonumber(ARGV[7])
local debitKey = ARGV[8]
local debitLedger = debitKey ~= '' and KEYS[#KEYS]
local ledgerKey = (#KEYS == 3 or (#KEYS == 2 and not debitLedger)) and KEYS[2]
-- Every key read together before any write (holds.ts, giveBack): a ledger entry left on the other
-- node of a migrating slot refuses the call (TRYAGAIN) instead of looking absent after a write.
if #KEYS > 1 then redis.call('MGET', unpack(KEYS)) end
expireDueGrants(KEYS[1], now)
if expireHolds(KEYS[1], ARGV[5], now) > 0 then noteHoldsDue(KEYS[1], ARGV[5]) end
local state = redis.call('HMGET', KEYS[1], 'credits', GRANTS)
local balance = tonumber(state[1]) or 0
if ledgerKey then
  local seen = redis.call('HMGET', ledgerKey, 'operation', 'amount', 'expires', 'grantExpires', 'debit')
  if seen[3] and tonumber(seen[3]) > now then
    local same = seen[1] == operation and tonumber(seen[2]) == amount and (seen[4] or '') == ARGV[7] and (seen[5] or '') == debitKey
    if same then return {'duplicate', balance} end
    return {'conflict', balance}
  end
end
local drawn = false
if operation == 'debit' then
  if balance < amount then return {'insufficient', balance} end
  local grantsAfter
  balance, grantsAfter, drawn = spendCredits(KEYS[1], balance, amount, state[2])
else
  if balance + amount > tonumber(ARGV[6]) then return {'out-of-range', balance} end
  if debitLedger then
    local debit = redis.call('HMGET', debitLedger, 'operation', 'amount', 'expires', 'left', 'g')
    if debit[1] ~= 'debit' or not debit[3] or tonumber(debit[3]) <= now then return {'no-such-debit', balance} end
    -- Up to what is left of the debit, a give-back (to its grants while open); the rest permanent.
    local left = tonumber(debit[4]) or tonumber(debit[2])
    local back = math.min(amount, left)
    local cameBack = giveBackCredits(KEYS[1], back, left, debit[5])
    local rest = partsAfter(debit[5], left, back)
    redis.call('HSET', debitLedger, 'left', left - back)
    if rest then redis.call('HSET', debitLedger, 'g', rest) else redis.call('HDEL', debitLedger, 'g') end
    if amount > back then redis.call('HINCRBY', KEYS[1], 'credits', amount - back) end
    balance = balance + cameBack + amount - back
  else
    if expiresAt then
      local list = readGrants(state[2])
      if #list >= MAX_OPEN_GRANTS and not isOpen(list, expiresAt) then return {'too-many-grants', balance} end
      addToGrant(list, balance, expiresAt, amount)
      writeGrants(KEYS[1], list)
    end
    balance = balance + amount
    redis.call('HSET', KEYS[1], 'credits', balance)
  end
end
if ledgerKey then
  redis.call('DEL', ledgerKey)
  redis.call('HSET', ledgerKey, 'operation', operation, 'amount', amount, 'expires', string.format('%.0f', now + ttl))
  if expiresAt then redis.call('HSET', ledgerKey, 'grantExpires', ARGV[7]) end
  if debitKey ~= '' then redis.call('HSET', ledgerKey, 'debit', debitKey) end
  -- A debit keeps what refunds naming it may still give back, and what of that it took from grants.
  if operation == 'debit' then redis.call('HSET', ledgerKey, 'left', amount) end
  if drawn then redis.call('HSET', ledgerKey, 'g', drawn) end
  redis.call('PEXPIRE', ledgerKey, ttl)
end
return {'applied', balance}
`;

export const CHANGE_CREDITS_SCRIPT = luaScript('change-credits', SHARED_LUA + GRANTS_LUA + HOLDS_LUA + CHANGE_CREDITS_LUA);
