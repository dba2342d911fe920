// `admit` as ONE script: read the account, pick the plan, check subscription, entitlement, rate
// windows, quotas and credits, and write only when the request is allowed (store README, steps
// 1–8). Every key is built from the account's key base `<prefix>{<account>}:`, so the whole
// decision stays in the one Cluster slot KEYS[1] routes it to.
//
// KEYS[1]  account hash `<base>a`
// ARGV     base, scope, fallback plan ('' = none), now (ms), hold key ('' = none), hold TTL (ms),
//          then RouteRules positionally (../rules-args.ts); only the applied plan's rule is read
//          into a table
// Expired holds of the account are given back first (holds.ts).
// Reply    one flat array (fewer tables to build and convert than nested ones):
//          outcome, plan|nil, the account's five fields (see readAccount), retryAfterMs|nil,
//          charged, overage, window count W, quota count Q, violated count V, then
//          W × (remaining, resetMs), Q × (used, resetAt), V violated names
import { HOLDS_LUA } from './holds.js';
import { PERIOD_MATH_LUA } from './period-math.js';
import { luaScript } from './script.js';
import { SHARED_LUA } from './shared.js';
import { WINDOW_MATH_LUA } from './window-math.js';

const ADMIT_LUA = `
local accountKey = KEYS[1]
local base = ARGV[1]
local scope = ARGV[2]
local fallback = ARGV[3]
local now = tonumber(ARGV[4])
local holdKey = ARGV[5]
local holdTtl = tonumber(ARGV[6])
-- RouteRules (rules-args.ts): position p of that list is ARGV[R + p].
local R = 6
local policy = ARGV[R + 1]
local cost = tonumber(ARGV[R + 2])
local grace = ARGV[R + 3]
local statusCount = tonumber(ARGV[R + 4])
local noPlanAt = tonumber(ARGV[R + 5 + statusCount])
local planCount = tonumber(ARGV[R + 6 + statusCount])
local planIndex = R + 6 + statusCount

-- position of the rule of the named plan, nil when the rules have no such plan
local function ruleAt(name)
  for i = 1, planCount do
    if ARGV[planIndex + 2 * i - 1] == name then return tonumber(ARGV[planIndex + 2 * i]) end
  end
  return nil
end

local function readRule(p)
  local at = R + p
  if ARGV[at] == 'deny' then return {kind = 'deny', reason = ARGV[at + 1]} end
  local rule = {kind = 'check', credits = ARGV[at + 1] == '1', overage = ARGV[at + 2], windows = {}, quotas = {}}
  local n = tonumber(ARGV[at + 3])
  at = at + 4
  for i = 1, n do
    rule.windows[i] = {name = ARGV[at], limit = tonumber(ARGV[at + 1]), ms = tonumber(ARGV[at + 2]), sliding = ARGV[at + 3] == '1'}
    at = at + 4
  end
  n = tonumber(ARGV[at])
  at = at + 1
  for i = 1, n do
    rule.quotas[i] = {unit = ARGV[at], limit = tonumber(ARGV[at + 1]), per = ARGV[at + 2], anchor = ARGV[at + 3]}
    at = at + 4
  end
  return rule
end
local QUOTA_GRACE_MS = DAY_MS
local OVERAGE_KEEP_MS = 35 * DAY_MS
-- Hold records outlive their expiry so that the next touch of the account can still give them back.
local HOLD_KEEP_MS = 7 * DAY_MS

expireHolds(accountKey, base, now)
local account = readAccount(accountKey)
local credits = account[5]
local anchor = tonumber(account[4])

local plan = false
local planAt = account[1] and ruleAt(account[1])
if planAt then
  plan = account[1]
elseif fallback ~= '' then
  planAt = ruleAt(fallback)
  if planAt then plan = fallback end
end

local function refusal(outcome)
  return {outcome, plan, account[1], account[2], account[3], account[4], account[5], false, 0, 0, 0, 0, 0}
end

if grace ~= '' then
  local passes = false
  for i = 1, statusCount do
    if ARGV[R + 4 + i] == account[2] then passes = true end
  end
  if passes and account[3] then passes = now <= tonumber(account[3]) + tonumber(grace) end
  if not passes then return refusal('subscription-inactive') end
end

local rule = readRule(planAt or noPlanAt)
if rule.kind == 'deny' then return refusal(rule.reason) end

-- Every counter the decision reads, in ONE MGET (each redis.call has a cost of its own): per
-- window its current key (and the previous one when sliding), then per quota its period's key.
local reads = {}
local windowKeys = {}
for i, w in ipairs(rule.windows) do
  local start = now - (now % w.ms)
  local prefix = base .. 'w:' .. policy .. ':' .. scope .. ':' .. int(w.ms) .. ':'
  windowKeys[i] = prefix .. int(start)
  reads[#reads + 1] = windowKeys[i]
  if w.sliding then reads[#reads + 1] = prefix .. int(start - w.ms) end
end
local periods = {}
for i, q in ipairs(rule.quotas) do
  local periodStart, periodEnd = billingPeriod(q, now, anchor)
  periods[i] = {start = periodStart, finish = periodEnd, key = base .. 'q:' .. policy .. ':' .. q.unit .. ':' .. int(periodStart)}
  reads[#reads + 1] = periods[i].key
end
local counts = {}
if #reads > 0 then counts = redis.call('MGET', unpack(reads)) end
local read = 0
local function nextCount()
  read = read + 1
  return tonumber(counts[read]) or 0
end

local windows = {}
local limited = {}
local retryAfterMs = false
for i, w in ipairs(rule.windows) do
  local start = now - (now % w.ms)
  local key = windowKeys[i]
  local current = nextCount()
  local previous = 0
  if w.sliding then previous = nextCount() end
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
  local period = periods[i]
  local amount = 1
  if q.unit == 'units' then amount = cost end
  local used = nextCount()
  local full = amount > 0 and used + amount > q.limit
  quotas[i] = {key = period.key, start = period.start, finish = period.finish, used = used, amount = amount, exhausted = full}
  if full then exhausted[#exhausted + 1] = q.unit end
end

local function reply(outcome, admitted, violated, charged, overage)
  local out = {outcome, plan, account[1], account[2], account[3], account[4], account[5], retryAfterMs, charged, overage, #windows, #quotas, #violated}
  local n = #out
  for i, w in ipairs(windows) do
    local resetMs = w.endMs
    if not w.allowed then resetMs = w.retryMs end
    out[n + 1] = remainingAfter(rule.windows[i].limit, w.usage, admitted)
    out[n + 2] = resetMs
    n = n + 2
  end
  for _, q in ipairs(quotas) do
    out[n + 1] = q.used
    out[n + 2] = q.finish
    n = n + 2
  end
  for _, name in ipairs(violated) do
    n = n + 1
    out[n] = name
  end
  return out
end

if #limited > 0 then return reply('rate-limited', false, limited, 0, 0) end
if #exhausted > 0 and rule.overage == 'block' then return reply('quota-exhausted', false, exhausted, 0, 0) end
local draw = 0
if rule.credits or (#exhausted > 0 and rule.overage == 'credits') then draw = cost end
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
  local key = base .. 'o:' .. policy .. ':' .. int(quotas[1].start)
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
