// `admit` as ONE script call for a batch of admissions (the ones a store queued in the same event-loop turn,
// ../admit-batches.ts): for each, in the order sent, read the account, pick the plan, check
// subscription, entitlement, rate windows, quotas and credits, and write only when the request is
// allowed (store README, steps 1–8). Each admission sees the writes of those before it, so a batch
// decides exactly as the same admissions sent one by one would. Every key of an admission is built
// from its account's key base `<prefix>{<account>}:`, so it stays in the slot of its KEYS[i]; in a
// Cluster every admission of a batch is of one account, so the call stays in one slot.
//
// KEYS[i]  admission i's account hash `<base>a` (the base is the key less its last character)
// ARGV     C, then C contexts of 4: RouteRules as one text (../rules-args.ts: the script finds the
//          applied plan's rule in it and parses it once per batch), the starts and the ends
//          (space-separated) of the rules' calendar periods holding the admissions' now, else ''
//          '' (billing-period.ts on the client, once a period: calendar months and years, whose
//          arithmetic would be the dearest part of the script, and periods in a time zone, which
//          Lua in Redis cannot know; billingPeriod still serves anchored periods, UTC days, weeks),
//          the fallback plan ('' = none); then per admission ONE text `<now> <context> <cost> <hold
//          key> <id> <deadline> <scope>`: now (ms), its context (1..C), its cost in units ('' = the
//          rules' cost: Admission.cost), the hold key ('' = none; a word),
//          the receipt id ('' = none; a word; the hold key when it holds), the deadline by the
//          server's clock (ms; '' = none), the scope (the rest, any text). Contexts are sent once per batch, however many admissions share them:
//          every argument costs the client and the server, so an admission carries as few as it can.
// An account's expired grants are dropped (grants.ts), then its due holds given back (holds.ts),
// first: each looked for only once its grantsDue or holdsDue has passed.
// Reply    one member per admission, in order: its reply, or an error reply when its admission
//          raised a Lua or Redis error (caught: the others still run and answer; writes it made
//          before the error stay, Redis does not roll them back). An admission's reply is one flat
//          array: outcome (the codes below), applied plan (1 the account's own, 2 the fallback, 0
//          none), the account's plan, status, paidThrough, periodAnchor (nil when absent) and
//          credits, retryAfterMs (nil when none), charged, overage, violated (bit i-1 set when
//          window i refused a rate-limited decision, else when quota i is exhausted), the account's
//          open grants after the decision (grants.ts's text; nil when none), then per
//          window of the applied rule (remaining, resetMs), per quota (used, resetAt). Numbers
//          travel as integer replies: Redis converts those in C, while formatting them in Lua is
//          dear; and an account without a record answers no text at all.
import { HOLD_TTL_MS, RECEIPT_TTL_MS } from '../../store.js';
import { ADMIT_RULES_LUA } from './admit-rules.js';
import { GRANTS_LUA } from './grants.js';
import { HOLDS_LUA } from './holds.js';
import { PERIOD_MATH_LUA } from './period-math.js';
import { OVERAGE_KEEP_MS, QUOTA_GRACE_MS, RECORD_HOLD_LUA } from './record-hold.js';
import { ADMIT_BATCH_LUA } from './admit-batch.js';
import { luaScript } from './script.js';
import { SHARED_LUA } from './shared.js';
import { WINDOW_MATH_LUA } from './window-math.js';

const ADMIT_LUA = `
local call = redis.call
-- Outcomes as the reply carries them (replies.ts, OUTCOME_CODES); DENIED: the applied plan's rule
-- denies, with the reason the client reads from that rule.
-- TOO_LATE: past its deadline, or voided before it ran (the engine already answered it): nothing written.
local ALLOWED, RATE_LIMITED, QUOTA_EXHAUSTED, INSUFFICIENT_CREDITS, SUBSCRIPTION_INACTIVE, DENIED, TOO_LATE = 0, 1, 2, 3, 4, 5, 6
local QUOTA_GRACE_MS = ${QUOTA_GRACE_MS}
local OVERAGE_KEEP_MS = ${OVERAGE_KEEP_MS}
local HOLD_TTL_MS = ${HOLD_TTL_MS}
-- Hold records outlive their expiry so that the next touch of the account can still give them back.
local HOLD_KEEP_MS = 7 * DAY_MS
local RECEIPT_TTL_MS = ${RECEIPT_TTL_MS}
local function tooLate()
  return {TOO_LATE, 0, false, false, false, false, 0, false, 0, 0, 0, false}
end
-- One admission; returns its reply (above). A Lua error inside it is caught by the batch loop below.
local function admit(accountKey, scope, now, cost, holdKey, id, context)
  local base = string.sub(accountKey, 1, -2)

  -- The account hash in one HGETALL: for an account without a record (most of them, when limiting
  -- by key or address) it answers nothing at all, which costs far less than HMGET's list of nils.
  local accountPlan, status, paidThrough, periodAnchor, credits, holdsDue, refilledAt, grants, grantsDue = false, false, false, false, 0, nil, nil, false, nil
  local fields = call('HGETALL', accountKey)
  for i = 1, #fields, 2 do
    local field, value = fields[i], fields[i + 1]
    if field == 'plan' then
      accountPlan = value
    elseif field == 'status' then
      status = value
    elseif field == 'paidThrough' then
      paidThrough = value
    elseif field == 'periodAnchor' then
      periodAnchor = value
    elseif field == 'credits' then
      credits = tonumber(value) or 0
    elseif field == HOLDS_DUE then
      holdsDue = tonumber(value)
    elseif field == 'refilledAt' then
      refilledAt = tonumber(value)
    elseif field == GRANTS then
      grants = value
    elseif field == GRANTS_DUE then
      grantsDue = tonumber(value)
    end
  end
  -- Expired grants first: a due hold's credits never go back to a grant that has expired (grants.ts).
  if grantsDue and grantsDue <= now then
    credits, grants = expireGrants(accountKey, now)
  end
  if holdsDue and holdsDue <= now then
    expireHolds(accountKey, base, now)
    holdsDue = noteHoldsDue(accountKey, base)
    local state = call('HMGET', accountKey, 'credits', GRANTS)
    credits, grants = tonumber(state[1]) or 0, state[2]
  end

  -- The applied plan: (1) the account's own when the rules name it, else (2) the fallback when they
  -- do, else none (0: the noPlan rule).
  local applied, at = 0, context.noPlanAt
  local found = accountPlan and ruleAt(context, accountPlan)
  if found then
    applied, at = 1, found
  elseif context.fallback ~= '' then
    found = ruleAt(context, context.fallback)
    if found then applied, at = 2, found end
  end

  -- The reply's head; a decision made before the windows returns it as it is. Everything below is
  -- written with as few tables as will do: the script creates each of them anew on every
  -- admission, and Lua's allocator and collector are a good part of its cost.
  local out = {false, applied, accountPlan, status, paidThrough, periodAnchor, credits, false, 0, 0, 0, grants}

  if context.grace then
    local passes = false
    for listed in string.gmatch(context.statuses, '[^ ]+') do
      if listed == status then passes = true end
    end
    if passes and paidThrough then
      passes = now <= tonumber(paidThrough) + context.grace
    elseif status == 'past_due' then
      -- a failed payment passes only through the grace period: without a paidThrough nothing bounds it
      passes = false
    end
    if not passes then
      out[1] = SUBSCRIPTION_INACTIVE
      return out
    end
  end

  local rule = ruleFrom(context, at)
  if rule.deny then
    out[1] = DENIED
    return out
  end
  -- A refill is due by the clock alone, whatever this admission's outcome: applied (and kept) before the checks.
  local refill = rule.refill
  if refill then
    local refillStart
    if refill.calendar > 0 and (refill.anchor ~= 'subscription' or not tonumber(periodAnchor)) then
      refillStart = context.starts[refill.calendar]
    else
      refillStart = billingPeriod(refill, now, tonumber(periodAnchor))
    end
    if not refilledAt or refilledAt < refillStart then
      if credits < refill.amount then credits = refill.amount end
      call('HSET', accountKey, 'credits', credits, 'refilledAt', int(refillStart))
    end
  end
  local windows, quotas = rule.windows, rule.quotas
  local W, Q = #windows, #quotas

  -- Every counter the decision reads, in ONE read (each call has a cost of its own; GET for one key
  -- costs less than MGET): reads[i] is window i's current key, reads[W + i] quota i's period key,
  -- then the previous window's key of each sliding window. The reply's tail is filled as the
  -- decision goes (out[h + 2i - 1], out[h + 2i]: window i's usage (remaining, once the outcome is
  -- known) and resetMs, then quota i's used and period end), so no table per window or quota.
  local h = #out
  local reads = {}
  for i = 1, W do
    local w = windows[i]
    local start = now - (now % w.ms)
    if start ~= w.start then
      w.start, w.startText, w.previousText = start, int(start), int(start - w.ms)
    end
    reads[i] = base .. w.name .. scope .. w.length .. w.startText
  end
  local firstStart
  for i = 1, Q do
    local q = quotas[i]
    local start, finish
    if q.calendar > 0 and (q.anchor ~= 'subscription' or not tonumber(periodAnchor)) then
      start, finish = context.starts[q.calendar], context.ends[q.calendar]
    else
      start, finish = billingPeriod(q, now, tonumber(periodAnchor))
    end
    firstStart = firstStart or start
    if start ~= q.start then q.start, q.startText = start, int(start) end
    reads[W + i] = base .. q.name .. q.startText
    out[h + 2 * (W + i)] = finish
  end
  for i = 1, W do
    local w = windows[i]
    if w.sliding then reads[#reads + 1] = base .. w.name .. scope .. w.length .. w.previousText end
  end
  -- The receipt's key too (a void's tombstone, should the void have come first): while the slot
  -- migrates, a tombstone still on the other node must refuse this admission (TRYAGAIN below), not
  -- let it start a receipt anew here.
  local recordKey = id ~= '' and base .. 'l:' .. id
  if recordKey then reads[#reads + 1] = recordKey end
  local counts = {}
  -- Never a one-key read: while a Cluster migrates this slot key by key, the server answers a
  -- multi-key command whose keys are not all there with TRYAGAIN (an error, raised before any
  -- write) instead of reading a counter still on the other node as 0. So a lone counter is read
  -- with the account hash (MGET reads a hash as nil).
  if #reads == 1 then
    counts[1] = call('MGET', reads[1], accountKey)[1]
  elseif #reads > 1 then
    counts = call('MGET', unpack(reads))
  end

  -- Bit i - 1 of limited: window i refuses.
  local limited, retryAfterMs, previousAt = 0, false, W + Q
  for i = 1, W do
    local w = windows[i]
    local previous = 0
    if w.sliding then
      previousAt = previousAt + 1
      previous = tonumber(counts[previousAt]) or 0
    end
    counts[i] = tonumber(counts[i]) or 0
    local allowed, usage, retryMs, endMs = checkWindow(w, w.start, counts[i], previous, now)
    out[h + 2 * i - 1], out[h + 2 * i] = usage, endMs
    if not allowed then
      out[h + 2 * i] = retryMs
      limited = limited + 2 ^ (i - 1)
      if not retryAfterMs or retryMs > retryAfterMs then retryAfterMs = retryMs end
    end
  end
  -- Bit i - 1 of exhausted: quota i is.
  local exhausted = 0
  for i = 1, Q do
    local q = quotas[i]
    counts[W + i] = tonumber(counts[W + i]) or 0
    local amount = q.units and cost or 1
    if amount > 0 and counts[W + i] + amount > q.limit then exhausted = exhausted + 2 ^ (i - 1) end
  end

  local outcome, violated, draw, overage = ALLOWED, exhausted, 0, 0
  if limited > 0 then
    outcome, violated = RATE_LIMITED, limited
  elseif exhausted > 0 and rule.overage == 'block' then
    outcome = QUOTA_EXHAUSTED
  else
    if rule.credits or (exhausted > 0 and rule.overage == 'credits') then draw = cost end
    -- draw > 0: a balance below zero (a settlement's overdraft) refuses only what costs something.
    if draw > 0 and draw > credits then outcome, draw = INSUFFICIENT_CREDITS, 0 end
  end
  local allowed = outcome == ALLOWED

  -- Allowed: only now is anything written. A counter that exists keeps the expiry it was created
  -- with (INCR keeps it, and costs less than SET ... PX).
  if allowed then
    -- An admission the engine may abandon (an id) first starts its receipt, the ledger hash a hold
    -- uses (holds.ts; the hold key is its id when it holds): a void that came before left a
    -- tombstone there, and then nothing is written (the engine answered it with a refusal).
    local receipt = recordKey and (W > 0 or Q > 0 or draw > 0)
    if receipt and call('HSETNX', recordKey, 'credits', draw) == 0 then return tooLate() end
    for i = 1, W do
      if counts[i] > 0 then
        call('INCR', reads[i])
      else
        call('SET', reads[i], 1, 'PX', int(windows[i].start + 2 * windows[i].ms - now))
      end
    end
    -- What the record keeps (holds.ts): 'q:' .. quota key, amount, for each quota counted; with an
    -- id also 'w:' .. window key, 1; 'o:' .. overage key, amount; a hold, whatever it took (a
    -- settlement may still charge), also what settling needs (record-hold.ts).
    local holds = holdKey ~= '' and (Q > 0 or rule.credits)
    local held = (holds or receipt) and {}
    if receipt then
      for i = 1, W do
        held[#held + 1] = 'w:' .. reads[i]
        held[#held + 1] = 1
      end
    end
    local overageWay, exhaustedUnits = false, 0
    for i = 1, Q do
      local q, used = quotas[i], counts[W + i]
      local amount = q.units and cost or 1
      if amount > 0 and used + amount > q.limit then
        overageWay = true
        if q.units then exhaustedUnits = exhaustedUnits + 1 end
        if rule.overage == 'bill' then overage = overage + amount end
      else
        if amount > 0 then
          if used > 0 then
            call('INCRBY', reads[W + i], amount)
          else
            call('SET', reads[W + i], amount, 'PX', int(out[h + 2 * (W + i)] + QUOTA_GRACE_MS - now))
          end
          counts[W + i] = used + amount
          if held then
            held[#held + 1] = 'q:' .. reads[W + i]
            held[#held + 1] = amount
          end
        end
        if holds and q.units then holdUnits(held, reads[W + i], q.limit, out[h + 2 * (W + i)]) end
      end
    end
    -- Built only where it is used: a counted overage, or a bill-overage hold that may settle into one.
    local overageKey = Q > 0 and (overage > 0 or (holds and rule.overage == 'bill')) and base .. 'o:' .. context.policy .. ':' .. int(firstStart)
    if overage > 0 then
      call('INCRBY', overageKey, overage)
      call('PEXPIRE', overageKey, int(out[h + 2 * (W + 1)] + OVERAGE_KEEP_MS - now))
    end
    if (receipt and overage > 0) or (holds and overageKey and rule.overage == 'bill') then
      held[#held + 1] = 'o:' .. overageKey
      held[#held + 1] = overage
    end
    if draw > 0 then
      local drawnFrom
      credits, grants, drawnFrom = spendCredits(accountKey, credits, draw, grants)
      -- What of the draw came from expiring grants, for a give-back to return there (grants.ts).
      if drawnFrom and held then
        held[#held + 1] = 'g'
        held[#held + 1] = drawnFrom
      end
    end
    if holds then holdTerms(held, context, rule, cost, overageWay, exhaustedUnits, Q > 0 and out[h + 2 * (W + 1)] or 0) end
    -- The usage outbox (holds.ts, appendUsage): what this admission charged for good, in the same
    -- step. A hold is billed when it completes (its record keeps the policy for that).
    local billed = not holds and (overage > 0 or draw > 0)
    if billed then
      local entry = appendUsage(base, context.policy, overage, draw, id)
      if receipt then
        held[#held + 1] = 'p'
        held[#held + 1] = context.policy
        held[#held + 1] = 'x'
        held[#held + 1] = entry .. ' ' .. overage .. ' ' .. draw
      end
    end
    if receipt then
      if #held > 0 then call('HSET', recordKey, unpack(held)) end
      if not holds then call('PEXPIRE', recordKey, RECEIPT_TTL_MS) end
    end
    if holds then
      local ledgerKey = base .. 'l:' .. holdKey
      local expires = now + HOLD_TTL_MS
      if not receipt then
        call('DEL', ledgerKey)
        call('HSET', ledgerKey, 'credits', draw, unpack(held))
      end
      call('PEXPIRE', ledgerKey, HOLD_TTL_MS + HOLD_KEEP_MS)
      call('ZADD', base .. 'h', int(expires), holdKey)
      call('PEXPIRE', base .. 'h', HOLD_TTL_MS + HOLD_KEEP_MS)
      if not holdsDue or expires < holdsDue then call('HSET', accountKey, HOLDS_DUE, int(expires)) end
    end
  end

  out[1], out[7], out[8], out[9], out[10], out[11], out[12] = outcome, credits, retryAfterMs, draw, overage, violated, grants
  for i = 1, W do
    out[h + 2 * i - 1] = remainingAfter(windows[i].limit, out[h + 2 * i - 1], allowed)
  end
  for i = 1, Q do
    out[h + 2 * (W + i) - 1] = counts[W + i]
  end
  return out
end
`;

/** The whole script text; lua/preview-admit.ts derives the read-only preview from it. */
export const ADMIT_SOURCE = SHARED_LUA + GRANTS_LUA + HOLDS_LUA + RECORD_HOLD_LUA + WINDOW_MATH_LUA + PERIOD_MATH_LUA + ADMIT_RULES_LUA + ADMIT_LUA + ADMIT_BATCH_LUA;
export const ADMIT_SCRIPT = luaScript('admit', ADMIT_SOURCE);
