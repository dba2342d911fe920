// Lua helpers for `chargeOn: success` holds. Open holds of an account live in the sorted set
// `<base>h`, scored by their expiry (engine clock); what each took is its ledger hash
// `<base>l:<holdKey>`: `credits` and `q:<quota key>` → amount. Removing a hold from the set is
// what makes committing, releasing and expiring happen once.
export const HOLDS_LUA = `
-- Credits back to the account; quota units back to their counter while that period's key exists.
local function giveBack(accountKey, ledgerKey)
  local hold = redis.call('HGETALL', ledgerKey)
  local credits = 0
  for i = 1, #hold, 2 do
    local field, value = hold[i], hold[i + 1]
    if field == 'credits' then
      credits = tonumber(value)
    elseif string.sub(field, 1, 2) == 'q:' then
      local key = string.sub(field, 3)
      local used = tonumber(redis.call('GET', key))
      if used then redis.call('SET', key, math.max(0, used - tonumber(value)), 'KEEPTTL') end
    end
  end
  if credits > 0 then redis.call('HINCRBY', accountKey, 'credits', credits) end
  redis.call('DEL', ledgerKey)
  return credits
end

-- Holds whose upstream never answered in time are given back; at most 64 per call (bounded work).
local function expireHolds(accountKey, base, now)
  local holds = base .. 'h'
  local due = redis.call('ZRANGEBYSCORE', holds, '-inf', now, 'LIMIT', 0, 64)
  for _, key in ipairs(due) do giveBack(accountKey, base .. 'l:' .. key) end
  if #due > 0 then redis.call('ZREM', holds, unpack(due)) end
end
`;
