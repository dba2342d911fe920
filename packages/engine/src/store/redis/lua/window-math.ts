// windows.ts ported line by line to Lua (same operations in the same order, so doubles round the
// same way). There is no rollWindow: in Redis each window is its own key named by its start, so
// "rolling" is reading the key of the window holding `now` and the one before it.
export const WINDOW_MATH_LUA = `
local function slidingRetryMs(rule, current, previous, elapsed)
  local room = rule.limit - 1 - current
  if room >= 0 then
    return math.max(math.ceil(rule.ms - elapsed - (room * rule.ms) / previous), 1)
  end
  local later = math.ceil(rule.ms - ((rule.limit - 1) * rule.ms) / current)
  return rule.ms - elapsed + math.max(later, 0)
end

-- returns allowed, usage, retryMs, endMs
local function checkWindow(rule, start, current, previous, now)
  local elapsed = now - start
  local endMs = rule.ms - elapsed
  if not rule.sliding then
    local allowed = current + 1 <= rule.limit
    return allowed, current, allowed and 0 or endMs, endMs
  end
  local usage = (previous * (rule.ms - elapsed)) / rule.ms + current
  local allowed = usage + 1 <= rule.limit
  local retryMs = 0
  if not allowed then retryMs = slidingRetryMs(rule, current, previous, elapsed) end
  return allowed, usage, retryMs, endMs
end

local function remainingAfter(limit, usage, admitted)
  local taken = 0
  if admitted then taken = 1 end
  return math.max(0, math.floor(limit - usage - taken))
end
`;
