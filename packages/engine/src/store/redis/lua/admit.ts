// `admit` as ONE script: read the account, pick the plan, check subscription, entitlement, rate
// windows, quotas and credits, and write only when the request is allowed (store README, steps
// 1–8). Every key is built from the account's key base `<prefix>{<account>}:`, so the whole
// decision stays in the one Cluster slot KEYS[1] routes it to.
//
// KEYS[1]  account hash `<base>a`
// ARGV     base, rules JSON (RouteRules), scope, fallback plan ('' = none), now (ms),
//          hold key ('' = none), hold TTL (ms)
// Expired holds of the account are given back first (holds.ts).
// Reply    outcome, plan|nil, account (see readAccount), windows {remaining, resetMs}…,
//          quotas {used, resetAt}…, retryAfterMs|nil, violated names, charged, overage
import { HOLDS_LUA } from './holds.js';
import { PERIOD_MATH_LUA } from './period-math.js';
import { luaScript } from './script.js';
import { SHARED_LUA } from './shared.js';
import { WINDOW_MATH_LUA } from './window-math.js';

const ADMIT_LUA = `
local accountKey = KEYS[1]
local base = ARGV[1]
local rules = cjson.decode(ARGV[2])
local scope = ARGV[3]
local fallback = ARGV[4]
local now = tonumber(ARGV[5])
local holdKey = ARGV[6]
local holdTtl = tonumber(ARGV[7])
local QUOTA_GRACE_MS = DAY_MS
local OVERAGE_KEEP_MS = 35 * DAY_MS
-- Hold records outlive their expiry so that the next touch of the account can still give them back.
local HOLD_KEEP_MS = 7 * DAY_MS

expireHolds(accountKey, base, now)
local account = readAccount(accountKey)
local credits = account[5]
local anchor = tonumber(account[4])

local plan = false
if account[1] and rules.plans[account[1]] then
  plan = account[1]
elseif fallback ~= '' and rules.plans[fallback] then
  plan = fallback
end

local function refusal(outcome)
  return {outcome, plan, account, {}, {}, false, {}, 0, 0}
end

local sub = rules.subscription
if sub then
  local passes = false
  for _, status in ipairs(sub.statuses) do
    if status == account[2] then passes = true end
  end
  if passes and account[3] then passes = now <= tonumber(account[3]) + sub.graceMs end
  if not passes then return refusal('subscription-inactive') end
end

local rule = rules.noPlan
if plan then rule = rules.plans[plan] end
if rule.kind == 'deny' then return refusal(rule.reason) end

local windows = {}
local limited = {}
local retryAfterMs = false
for i, w in ipairs(rule.windows) do
  local start = now - (now % w.ms)
  local prefix = base .. 'w:' .. rules.policy .. ':' .. scope .. ':' .. int(w.ms) .. ':'
  local key = prefix .. int(start)
  local current = tonumber(redis.call('GET', key)) or 0
  local previous = 0
  if w.sliding then previous = tonumber(redis.call('GET', prefix .. int(start - w.ms))) or 0 end
  local allowed, usage, retryMs, endMs = checkWindow(w, start, current, previous, now)
  windows[i] = {key = key, start = start, ms = w.ms, count = current, allowed = allowed, usage = usage, retryMs = retryMs, endMs = endMs}
  if not allowed then
    limited[#limited + 1] = w.name
    if not retryAfterMs or retryMs > retryAfterMs then retryAfterMs = retryMs end
  end
end

local quotas = {}
local exhausted = {}
for i, q in ipairs(rule.quotas) do
  local periodStart, periodEnd = billingPeriod(q, now, anchor)
  local key = base .. 'q:' .. rules.policy .. ':' .. q.unit .. ':' .. int(periodStart)
  local amount = 1
  if q.unit == 'units' then amount = rules.cost end
  local used = tonumber(redis.call('GET', key)) or 0
  local full = amount > 0 and used + amount > q.limit
  quotas[i] = {key = key, start = periodStart, finish = periodEnd, used = used, amount = amount, exhausted = full}
  if full then exhausted[#exhausted + 1] = q.unit end
end

local function reply(outcome, admitted, violated, charged, overage)
  local windowReply = {}
  for i, w in ipairs(windows) do
    local resetMs = w.endMs
    if not w.allowed then resetMs = w.retryMs end
    windowReply[i] = {remainingAfter(rule.windows[i].limit, w.usage, admitted), resetMs}
  end
  local quotaReply = {}
  for i, q in ipairs(quotas) do quotaReply[i] = {q.used, q.finish} end
  return {outcome, plan, account, windowReply, quotaReply, retryAfterMs, violated, charged, overage}
end

if #limited > 0 then return reply('rate-limited', false, limited, 0, 0) end
if #exhausted > 0 and rule.overage == 'block' then return reply('quota-exhausted', false, exhausted, 0, 0) end
local draw = 0
if rule.credits or (#exhausted > 0 and rule.overage == 'credits') then draw = rules.cost end
if draw > credits then return reply('insufficient-credits', false, exhausted, 0, 0) end

-- Allowed: only now is anything written.
for _, w in ipairs(windows) do
  redis.call('SET', w.key, w.count + 1, 'PX', int(w.start + 2 * w.ms - now))
end
local overage = 0
local held = {}
for _, q in ipairs(quotas) do
  if q.exhausted then
    if rule.overage == 'bill' then overage = overage + q.amount end
  elseif q.amount > 0 then
    q.used = q.used + q.amount
    redis.call('SET', q.key, q.used, 'PX', int(q.finish + QUOTA_GRACE_MS - now))
    held[#held + 1] = 'q:' .. q.key
    held[#held + 1] = q.amount
  end
end
if overage > 0 and quotas[1] then
  local key = base .. 'o:' .. rules.policy .. ':' .. int(quotas[1].start)
  redis.call('INCRBY', key, overage)
  redis.call('PEXPIRE', key, int(quotas[1].finish + OVERAGE_KEEP_MS - now))
end
if draw > 0 then
  credits = credits - draw
  redis.call('HSET', accountKey, 'credits', credits)
  account[5] = credits
end
if holdKey ~= '' and (draw > 0 or #held > 0) then
  local ledgerKey = base .. 'l:' .. holdKey
  redis.call('DEL', ledgerKey)
  redis.call('HSET', ledgerKey, 'credits', draw, unpack(held))
  redis.call('PEXPIRE', ledgerKey, int(holdTtl + HOLD_KEEP_MS))
  redis.call('ZADD', base .. 'h', int(now + holdTtl), holdKey)
  redis.call('PEXPIRE', base .. 'h', int(holdTtl + HOLD_KEEP_MS))
end
return reply('allowed', true, exhausted, draw, overage)
`;

export const ADMIT_SCRIPT = luaScript('admit', SHARED_LUA + HOLDS_LUA + WINDOW_MATH_LUA + PERIOD_MATH_LUA + ADMIT_LUA);
