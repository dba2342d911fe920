import { USAGE_GROUP } from '../keys.js';

// Lua helpers for `chargeOn: success` holds and admission receipts. Open holds of an account live
// in the sorted set `<base>h`, scored by their expiry (engine clock); what each took is its ledger
// hash `<base>l:<holdKey>`: `credits` (`g`: what of them came from expiring grants, grants.ts), `q:<quota key>` → amount, `o:<overage key>` → the units it
// counted as billable overage (kept by every completion), and what settling needs (record-hold.ts).
// An admission the engine may abandon (onFailure: closed)
// records the same hash as its receipt under its id, with `w:<window key>` and `o:<overage key>`
// too, so that a void gives back everything it consumed; a void's tombstone is `voided` = 1. Removing a hold from the set is
// what makes committing, releasing and expiring happen once. The account hash's `holdsDue` field
// is never later than the earliest expiry among its open holds (lowered when admit records a hold,
// brought up to date whenever holds leave the set, removed once none is open): admit reads it with
// the account and looks for due holds only once it has passed.
//
// The usage outbox: every charge billed to the account for good (overage units counted under
// \`overage: bill\`, credits drawn) is one entry of the account's stream \`<base>u\`, appended by
// the script that charges (\`appendUsage\`). A hold's record keeps its policy (\`p\`): it is billed
// once, when it completes (committed, settled or expired: its overage and the credits it kept;
// released: its overage only). A receipt keeps \`p\` and \`x\` = \`<entry id> <overage> <credits>\`, what its
// entry billed, so that a void takes it back (\`voidUsage\`; store redis README, "Usage outbox").
export const HOLDS_LUA = `
local HOLDS_DUE = 'holdsDue'
local USAGE_GROUP = '${USAGE_GROUP}'

-- Appends one usage entry (p policy, o overage units, c credits, k the admission's id or hold key,
-- '' when it has neither) to the account's outbox; returns the entry's id.
local function appendUsage(base, policy, overage, credits, key)
  return redis.call('XADD', base .. 'u', '*', 'p', policy, 'o', overage, 'c', credits, 'k', key)
end

-- Takes back what a voided admission's entry billed: an entry no shipper has read is deleted (it
-- never reaches the billing system); one read or already shipped is compensated by an entry of the
-- opposite quantities, v naming it (the shipper cancels it at the billing system).
local function voidUsage(base, policy, billed, key)
  local entry, overage, credits = string.match(billed, '^(%S+) (%S+) (%S+)$')
  local stream = base .. 'u'
  local read = redis.pcall('XPENDING', stream, USAGE_GROUP, entry, entry, 1)
  local pending = type(read) == 'table' and read.err == nil and #read > 0
  if not pending and redis.call('XDEL', stream, entry) == 1 then return end
  redis.call('XADD', stream, '*', 'p', policy, 'o', -tonumber(overage), 'c', -tonumber(credits), 'k', key, 'v', entry)
end

-- Bills a completed hold (its record kept the policy), once: its overage and the credits it kept.
local function billHold(base, policy, overage, credits, holdKey)
  if policy and (overage > 0 or credits > 0) then appendUsage(base, policy, overage, credits, holdKey) end
end

-- The single-valued fields of a hold record (its HGETALL): the credits it took and the grant parts
-- they came from (g), its policy (p), a receipt's billed entry (x), the settlement terms (m), and
-- the overage counter and units it counted (its 'o:' field). Absent ones read as nothing taken.
local function readHold(hold)
  local record = {credits = 0, parts = false, policy = nil, billed = nil, terms = '', overageKey = false, overage = 0}
  for i = 1, #hold, 2 do
    local field, value = hold[i], hold[i + 1]
    if field == 'credits' then
      record.credits = tonumber(value) or 0
    elseif field == 'g' then
      record.parts = value
    elseif field == 'p' then
      record.policy = value
    elseif field == 'x' then
      record.billed = value
    elseif field == 'm' then
      record.terms = value
    elseif string.sub(field, 1, 2) == 'o:' then
      record.overageKey, record.overage = string.sub(field, 3), tonumber(value)
    end
  end
  return record
end

-- A committed hold keeps what it took, billed now; the record is deleted.
local function billCommittedHold(base, ledgerKey, holdKey)
  local hold = readHold(redis.call('HGETALL', ledgerKey))
  billHold(base, hold.policy, hold.overage, hold.credits, holdKey)
  redis.call('DEL', ledgerKey)
  return hold.credits
end

-- Credits back to the account; quota units back to their counter while that period's key exists;
-- when voiding (the request was refused after all) window and overage counts too. A hold released
-- keeps its overage, billed now.
local function giveBack(accountKey, ledgerKey, voiding, base, key)
  local hold = redis.call('HGETALL', ledgerKey)
  -- Every key this touches, read together once before any write: while a Cluster slot migrates
  -- key by key, the server refuses a multi-key command whose keys are not all here (TRYAGAIN, and
  -- the engine sends the call again later) instead of this reading a record or a counter left on
  -- the other node as absent and giving back nothing.
  local touched = {accountKey, ledgerKey}
  for i = 1, #hold, 2 do
    local kind = string.sub(hold[i], 1, 2)
    if kind == 'q:' or kind == 'w:' or kind == 'o:' then touched[#touched + 1] = string.sub(hold[i], 3) end
    if voiding and hold[i] == 'x' then touched[#touched + 1] = base .. 'u' end
  end
  redis.call('MGET', unpack(touched))
  for i = 1, #hold, 2 do
    local kind = string.sub(hold[i], 1, 2)
    if kind == 'q:' or (voiding and (kind == 'w:' or kind == 'o:')) then
      local counter = string.sub(hold[i], 3)
      local used = tonumber(redis.call('GET', counter))
      if used then redis.call('SET', counter, math.max(0, used - tonumber(hold[i + 1])), 'KEEPTTL') end
    end
  end
  local record = readHold(hold)
  -- To the grants they were drawn from while those are open (grants.ts); the rest is lost with them.
  local back = giveBackCredits(accountKey, record.credits, record.credits, record.parts)
  if voiding and record.billed then voidUsage(base, record.policy, record.billed, key) end
  if not voiding then billHold(base, record.policy, record.overage, 0, key) end
  redis.call('DEL', ledgerKey)
  return back
end

-- Holds whose upstream never answered in time are given back (kept under onUnsettled: commit); at
-- most 64 per call (bounded work). Returns how many were settled.
local function expireHolds(accountKey, base, now)
  local holds = base .. 'h'
  local due = redis.call('ZRANGEBYSCORE', holds, '-inf', now, 'LIMIT', 0, 64)
  for _, key in ipairs(due) do
    local ledgerKey = base .. 'l:' .. key
    if redis.call('HGET', ledgerKey, 'unsettled') == 'commit' then
      billCommittedHold(base, ledgerKey, key)
    else
      giveBack(accountKey, ledgerKey, false, base, key)
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
