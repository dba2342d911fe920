// Lua for expiring credit grants (store README, "Expiring grants"); memory/credit-grants.ts is the
// same, line for line. The account hash keeps the balance `credits` (the total) and, while the
// account has open grants, `grants` = `<expiresAt>:<amount left>` per grant, space-separated,
// soonest-expiring first (one per expiry; a spent one stays, amount 0, until it expires), and
// `grantsDue` = the first expiry, so the hot path compares one number. A draw that took from
// grants records the same text of what it took in its hold or receipt (`g`), so that a give-back
// returns there. Everything lives in the account hash: no key beyond the ones each script already
// reads first.
//
// Invariant: either the permanent part (credits less every grant's amount) is ≥ 0, or every grant
// has 0 left. Spends take from grants first; credits added to a grant first pay the permanent
// part's debt.
import { MAX_OPEN_GRANTS } from '../../store.js';

export const GRANTS_LUA = `
local GRANTS, GRANTS_DUE, MAX_OPEN_GRANTS = 'grants', 'grantsDue', ${MAX_OPEN_GRANTS}

-- The grants (or a draw's parts) a text lists, as {exp, amount} in its order; none for false or ''.
local function readGrants(text)
  local list = {}
  if text then
    for exp, amount in string.gmatch(text, '(%d+):(%d+)') do list[#list + 1] = {exp = tonumber(exp), amount = tonumber(amount)} end
  end
  return list
end

-- The text of a list; false when it is empty.
local function grantsText(list)
  if #list == 0 then return false end
  local parts = {}
  for i = 1, #list do parts[i] = int(list[i].exp) .. ':' .. int(list[i].amount) end
  return table.concat(parts, ' ')
end

-- Writes the list and its first expiry to the account; removes both when it is empty. Returns its text.
local function writeGrants(accountKey, list)
  local text = grantsText(list)
  if text then
    redis.call('HSET', accountKey, GRANTS, text, GRANTS_DUE, int(list[1].exp))
  else
    redis.call('HDEL', accountKey, GRANTS, GRANTS_DUE)
  end
  return text
end

-- Drops the grants whose expiry has come; returns what they had left (it leaves the balance).
local function dropExpired(list, now)
  local expired = 0
  while #list > 0 and list[1].exp <= now do expired = expired + table.remove(list, 1).amount end
  return expired
end

-- Takes amount from the list, soonest-expiring first; returns the text of what it took (false: nothing).
local function takeFromGrants(list, amount)
  local parts, left = {}, amount
  for i = 1, #list do
    if left == 0 then break end
    local grant = list[i]
    local taken = math.min(grant.amount, left)
    if taken > 0 then
      grant.amount = grant.amount - taken
      left = left - taken
      parts[#parts + 1] = {exp = grant.exp, amount = taken}
    end
  end
  return grantsText(parts)
end

local function isOpen(list, exp)
  for i = 1, #list do
    if list[i].exp == exp then return true end
  end
  return false
end

-- Adds amount to the grant expiring at exp (opened when none is), after paying the permanent
-- part's debt; credits: the balance before adding.
local function addToGrant(list, credits, exp, amount)
  local at = #list + 1
  for i = 1, #list do
    if list[i].exp >= exp then
      at = i
      break
    end
  end
  if not list[at] or list[at].exp ~= exp then table.insert(list, at, {exp = exp, amount = 0}) end
  local permanent = credits
  for i = 1, #list do permanent = permanent - list[i].amount end
  local debt = math.max(0, -permanent)
  list[at].amount = list[at].amount + amount - math.min(debt, amount)
end

-- Gives back amount of a draw of drawn credits that took the parts text from grants, last taken
-- first (the permanent part, then the latest-expiring parts); a part whose grant is no longer open
-- is not given back. Changes the list; returns what came back to the balance (credits: before).
local function returnToGrants(list, credits, amount, drawn, partsText)
  local parts = readGrants(partsText)
  local fromGrants = 0
  for i = 1, #parts do fromGrants = fromGrants + parts[i].amount end
  local permanent = math.min(amount, drawn - fromGrants)
  local back, left = permanent, amount - permanent
  for i = #parts, 1, -1 do
    if left <= 0 then break end
    local returned = math.min(parts[i].amount, left)
    left = left - returned
    if isOpen(list, parts[i].exp) then
      addToGrant(list, credits + back, parts[i].exp, returned)
      back = back + returned
    end
  end
  return back
end

-- A draw's parts text once givenBack of it came back (permanent part first, then the latest-expiring
-- parts), as returnToGrants takes it; false when no part is left.
local function partsAfter(partsText, drawn, givenBack)
  local parts = readGrants(partsText)
  local fromGrants = 0
  for i = 1, #parts do fromGrants = fromGrants + parts[i].amount end
  local left = givenBack - math.min(givenBack, drawn - fromGrants)
  while left > 0 and #parts > 0 do
    local last = table.remove(parts)
    local taken = math.min(last.amount, left)
    left = left - taken
    if taken < last.amount then parts[#parts + 1] = {exp = last.exp, amount = last.amount - taken} end
  end
  return grantsText(parts)
end

-- Drops the account's expired grants when its grantsDue has come; returns the balance and the grants' text after.
local function expireGrants(accountKey, now)
  local state = redis.call('HMGET', accountKey, 'credits', GRANTS)
  local credits = tonumber(state[1]) or 0
  local list = readGrants(state[2])
  local expired = dropExpired(list, now)
  if expired > 0 then credits = redis.call('HINCRBY', accountKey, 'credits', -expired) end
  return credits, writeGrants(accountKey, list)
end

-- expireGrants, for a script that has not read the account's grantsDue yet.
local function expireDueGrants(accountKey, now)
  local due = tonumber(redis.call('HGET', accountKey, GRANTS_DUE))
  if due and due <= now then expireGrants(accountKey, now) end
end

-- Takes amount from a balance of credits whose grants are grantsTextBefore (false: none), soonest-
-- expiring first; returns the balance, the grants' text and the parts' text (false: none) after.
local function spendCredits(accountKey, credits, amount, grantsTextBefore)
  credits = credits - amount
  local list = readGrants(grantsTextBefore)
  if #list == 0 then
    redis.call('HSET', accountKey, 'credits', credits)
    return credits, false, false
  end
  local parts = takeFromGrants(list, amount)
  -- A spent grant stays (amount 0) until it expires: the expiries, and so grantsDue, are as they
  -- were, and the balance and the grants are written in one call.
  local text = grantsText(list)
  redis.call('HSET', accountKey, 'credits', credits, GRANTS, text)
  return credits, text, parts
end

-- returnToGrants on the account; returns what came back to the balance.
local function giveBackCredits(accountKey, amount, drawn, partsText)
  if amount <= 0 then return 0 end
  if not partsText then
    redis.call('HINCRBY', accountKey, 'credits', amount)
    return amount
  end
  local state = redis.call('HMGET', accountKey, 'credits', GRANTS)
  local list = readGrants(state[2])
  local back = returnToGrants(list, tonumber(state[1]) or 0, amount, drawn, partsText)
  writeGrants(accountKey, list)
  if back > 0 then redis.call('HINCRBY', accountKey, 'credits', back) end
  return back
end
`;
