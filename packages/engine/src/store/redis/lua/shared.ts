// Lua helpers every script needs: integer formatting for key names (tostring would switch to
// exponent notation past 14 digits) and the account hash read in one HMGET.
export const SHARED_LUA = `
local function int(n)
  return string.format('%.0f', n)
end

local ACCOUNT_FIELDS = {'plan', 'status', 'paidThrough', 'periodAnchor', 'credits'}

-- the account as a reply: plan, status, paidThrough, periodAnchor (false when absent), credits
local function readAccount(key)
  local a = redis.call('HMGET', key, unpack(ACCOUNT_FIELDS))
  a[5] = tonumber(a[5]) or 0
  return a
end
`;
