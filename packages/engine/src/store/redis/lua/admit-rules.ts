// The admit script's reading of a batch's rules text (admit.ts, ../rules-args.ts): where each
// plan's rule starts in it, and that rule parsed once per batch.
export const ADMIT_RULES_LUA = `
-- A batch sends each rules text once (a context) and learns as it goes: where each plan's rule
-- starts in the text and that rule parsed, so only the first admission of a plan pays for the
-- text search and the parsing. A rule keeps, per window and quota, the text of the start it last
-- named a counter key with (string.format is dear): a batch's admissions mostly share them.
local function ruleAt(context, name)
  local at = context.ruleAt[name]
  if at == nil then
    -- Plan names hold no separator, so a name that does is none of them.
    local found = not string.find(name, '[\\t\\n]') and string.find(context.rules, '\\n' .. name .. '\\t', context.noPlanAt, true)
    -- false, not nil, for a name the rules lack: remembered too
    at = found and found + #name + 2 or false
    context.ruleAt[name] = at
  end
  return at
end

local function parseRule(context, at)
  local rules, policy = context.rules, context.policy
  -- A denying rule's reason is not read here: the client has the rule, the reply says DENIED.
  if string.find(rules, '^deny ', at) then return {deny = true} end
  local drawsCredits, overage, windowCount, quotaCount
  drawsCredits, overage, windowCount, quotaCount, at = string.match(rules, '^check (%d) (%S+) (%d+) (%d+)()', at)
  local rule = {credits = drawsCredits == '1', overage = overage, windows = {}, quotas = {}}
  for i = 1, tonumber(windowCount) do
    local limit, ms, sliding
    limit, ms, sliding, at = string.match(rules, '^ (%S+) (%S+) (%d)()', at)
    -- ms is written as the integer it is (rules-args.ts), so it names the key as it stands
    rule.windows[i] = {limit = tonumber(limit), ms = tonumber(ms), sliding = sliding == '1', name = 'w:' .. policy .. ':', length = ':' .. ms .. ':', start = false, startText = false, previousText = false}
  end
  for i = 1, tonumber(quotaCount) do
    local unit, limit, per, anchor, calendar
    unit, limit, per, anchor, calendar, at = string.match(rules, '^ (%S+) (%S+) (%S+) (%S+) (%d+)()', at)
    -- Counting units, a quota counts each admission's own cost; else 1 per request.
    rule.quotas[i] = {limit = tonumber(limit), per = per, anchor = anchor, calendar = tonumber(calendar), units = unit == 'units', name = 'q:' .. policy .. ':' .. unit .. ':', start = false, startText = false}
  end
  local refillAmount, refillPer, refillAnchor, refillCalendar = string.match(rules, '^ refill (%d+) (%S+) (%S+) (%d+)', at)
  if refillAmount then rule.refill = {amount = tonumber(refillAmount), per = refillPer, anchor = refillAnchor, calendar = tonumber(refillCalendar)} end
  return rule
end

local function ruleFrom(context, at)
  local rule = context.parsed[at]
  if not rule then
    rule = parseRule(context, at)
    context.parsed[at] = rule
  end
  return rule
end
`;
