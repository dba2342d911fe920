// Lua helpers for `chargeOn: success` holds and admission receipts. Open holds of an account live
// in the sorted set `<base>h`, scored by their expiry (engine clock); what each took is its ledger
// hash `<base>l:<holdKey>`: `credits` and `q:<quota key>` → amount (plus `unsettled` = 'commit'
// under `costs.onUnsettled: commit`). An admission the engine may abandon (onFailure: closed)
// records the same hash as its receipt under its id, with `w:<window key>` and `o:<overage key>`
// too, so that a void gives back everything it consumed; a void's tombstone is `voided` = 1. Removing a hold from the set is
// what makes committing, releasing and expiring happen once. The account hash's `holdsDue` field
// is never later than the earliest expiry among its open holds (lowered when admit records a hold,
// brought up to date whenever holds leave the set, removed once none is open): admit reads it with
// the account and looks for due holds only once it has passed.
export const HOLDS_LUA = `
local HOLDS_DUE = 'holdsDue'

-- Credits back to the account; quota units back to their counter while that period's key exists;
-- when voiding (the request was refused after all) window and overage counts too.
local function giveBack(accountKey, ledgerKey, voiding)
  local hold = redis.call('HGETALL', ledgerKey)
  -- Every key this touches, read together once before any write: while a Cluster slot migrates
  -- key by key, the server refuses a multi-key command whose keys are not all here (TRYAGAIN, and
  -- the engine sends the call again later) instead of this reading a record or a counter left on
  -- the other node as absent and giving back nothing.
  local touched = {accountKey, ledgerKey}
  for i = 1, #hold, 2 do
    local kind = string.sub(hold[i], 1, 2)
    if kind == 'q:' or kind == 'w:' or kind == 'o:' then touched[#touched + 1] = string.sub(hold[i], 3) end
  end
  redis.call('MGET', unpack(touched))
  local credits = 0
  for i = 1, #hold, 2 do
    local field, value = hold[i], hold[i + 1]
    local kind = string.sub(field, 1, 2)
    if field == 'credits' then
      credits = tonumber(value) or 0
    elseif kind == 'q:' or (voiding and (kind == 'w:' or kind == 'o:')) then
      local key = string.sub(field, 3)
      local used = tonumber(redis.call('GET', key))
      if used then redis.call('SET', key, math.max(0, used - tonumber(value)), 'KEEPTTL') end
    end
  end
  if credits > 0 then redis.call('HINCRBY', accountKey, 'credits', credits) end
  redis.call('DEL', ledgerKey)
  return credits
end

-- Holds whose upstream never answered in time are given back (kept under onUnsettled: commit); at
-- most 64 per call (bounded work). Returns how many were settled.
local function expireHolds(accountKey, base, now)
  local holds = base .. 'h'
  local due = redis.call('ZRANGEBYSCORE', holds, '-inf', now, 'LIMIT', 0, 64)
  for _, key in ipairs(due) do
    local ledgerKey = base .. 'l:' .. key
    if redis.call('HGET', ledgerKey, 'unsettled') == 'commit' then
      redis.call('DEL', ledgerKey)
    else
      giveBack(accountKey, ledgerKey, false)
    end
  end
  if #due > 0 then redis.call('ZREM', holds, unpack(due)) end
  return #due
end

-- Sets the account's holdsDue to the expiry of its earliest open hold (removes it when none is
-- open, so an account without holds keeps no trace of them); returns that expiry, or nil.
local function noteHoldsDue(accountKey, base)
  local earliest = redis.call('ZRANGE', base .. 'h', 0, 0, 'WITHSCORES')[2]
  if earliest then
    redis.call('HSET', accountKey, HOLDS_DUE, earliest)
  else
    redis.call('HDEL', accountKey, HOLDS_DUE)
  end
  return tonumber(earliest)
end
`;
