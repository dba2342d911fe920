// Lua for `completeHold` with `{settle}` (store README, `completeHold`): charges the actual cost in
// place of the hold's estimate, from the terms the admission recorded (record-hold.ts). The memory
// store's memory/settle-hold.ts is the same, line for line.
import { OVERAGE_KEEP_MS, QUOTA_GRACE_MS } from './record-hold.js';

export const SETTLE_HOLD_LUA = `
-- Adds to a counter while its period lasts, never below zero; one not there yet (nothing counted
-- it) is created with the expiry admit gives it.
local function addToCounter(key, periodEnd, amount, keepMs, used, now)
  if now >= periodEnd or amount == 0 then return end
  if used then
    redis.call('SET', key, math.max(0, used + amount), 'KEEPTTL')
  elseif amount > 0 then
    redis.call('SET', key, amount, 'PX', int(periodEnd + keepMs - now))
  end
end

-- Settles the hold (already out of the open set) at actual units; bills it and deletes its record.
-- Returns charged, credits drawn in the end, written off.
local function settleHold(accountKey, base, ledgerKey, holdKey, actual, now)
  local hold = redis.call('HGETALL', ledgerKey)
  local record = readHold(hold)
  local credits, parts, policy, terms, overageKey, overage = record.credits, record.parts, record.policy, record.terms, record.overageKey, record.overage
  local units = {}
  for i = 1, #hold, 2 do
    if string.sub(hold[i], 1, 2) == 'u:' then
      local limit, periodEnd = string.match(hold[i + 1], '^(%S+) (%S+)$')
      units[#units + 1] = {key = string.sub(hold[i], 3), limit = tonumber(limit), periodEnd = tonumber(periodEnd)}
    end
  end
  local estimate, mode, drawsCredits, overdraft, overageWay, exhaustedUnits, overageEnd = string.match(terms, '^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$')
  if not estimate then error('hold ' .. holdKey .. ' has no settlement terms') end
  estimate, overdraft, exhaustedUnits, overageEnd = tonumber(estimate), tonumber(overdraft), tonumber(exhaustedUnits), tonumber(overageEnd)
  -- Every counter this may write, read together before any write (holds.ts, giveBack: a slot
  -- migrating key by key refuses the call instead of this reading a counter as absent).
  local touched = {accountKey, ledgerKey}
  for i = 1, #units do touched[#touched + 1] = units[i].key end
  if overageKey then touched[#touched + 1] = overageKey end
  local read = redis.call('MGET', unpack(touched))
  local overageUsed = overageKey and tonumber(read[#touched])
  local state = redis.call('HMGET', accountKey, 'credits', GRANTS)
  local balance = tonumber(state[1]) or 0
  local function addOverage(amount)
    if overageKey then addToCounter(overageKey, overageEnd, amount, ${OVERAGE_KEEP_MS}, overageUsed, now) end
  end

  if actual <= estimate then
    local back = estimate - actual
    local creditsBack = math.min(credits, back)
    -- What comes back to an expired grant is lost, not billed: it would have expired.
    giveBackCredits(accountKey, creditsBack, credits, parts)
    local overageBack = math.min(overage, exhaustedUnits * back)
    addOverage(-overageBack)
    for i = 1, #units do addToCounter(units[i].key, units[i].periodEnd, -back, ${QUOTA_GRACE_MS}, tonumber(read[2 + i]), now) end
    billHold(base, policy, overage - overageBack, credits - creditsBack, holdKey)
    redis.call('DEL', ledgerKey)
    return {actual, credits - creditsBack, 0}
  end

  local extra = actual - estimate
  local beyondMost, beyondAll = 0, 0
  for i = 1, #units do
    local quota = units[i]
    if now < quota.periodEnd then
      local used = tonumber(read[2 + i])
      local fits = math.min(extra, math.max(0, quota.limit - (used or 0)))
      local beyond = extra - fits
      if mode == 'block' then beyond = 0 end
      addToCounter(quota.key, quota.periodEnd, extra - beyond, ${QUOTA_GRACE_MS}, used, now)
      beyondMost = math.max(beyondMost, beyond)
      beyondAll = beyondAll + beyond
    end
  end
  local billed = 0
  if mode == 'bill' then billed = exhaustedUnits * extra + beyondAll end
  addOverage(billed)
  local draw = 0
  if drawsCredits == '1' or (overageWay == '1' and mode == 'credits') then
    draw = extra
  elseif mode == 'credits' then
    draw = beyondMost
  end
  local taken = math.max(0, math.min(draw, balance + overdraft))
  if taken > 0 then spendCredits(accountKey, balance, taken, state[2]) end
  local writtenOff = draw - taken
  billHold(base, policy, overage + billed, credits + taken, holdKey)
  redis.call('DEL', ledgerKey)
  return {actual - writtenOff, credits + taken, writtenOff}
end
`;
