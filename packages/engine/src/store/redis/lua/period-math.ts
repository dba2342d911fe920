// billing-period.ts ported line by line to Lua: Howard Hinnant's integer date arithmetic, so the
// script and the memory store agree on every period boundary (a parity test runs both). Calendar
// months and years, and every period in a time zone, come from the client instead (lua/admit.ts:
// the context's periods); this computes UTC days and weeks, anchored periods and the lifetime.
import { LIFETIME_END } from '../../billing-period.js';

export const PERIOD_MATH_LUA = `
local DAY_MS = 86400000
local WEEK_MS = 7 * DAY_MS
local LIFETIME_END = ${LIFETIME_END}

-- The month arithmetic is built when a quota first needs it (once per script call): a script pays
-- for every function it defines on every call, and most decisions read no monthly quota.
local calendarMonths, anchoredMonths
local function calendarMath()
  local function daysFromCivil(year, month, day)
    local y = year
    if month <= 2 then y = year - 1 end
    local era = math.floor(y / 400)
    local yoe = y - era * 400
    local mp = month + 9
    if month > 2 then mp = month - 3 end
    local doy = math.floor((153 * mp + 2) / 5) + day - 1
    local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
    return era * 146097 + doe - 719468
  end

  local function civilFromDays(days)
    local z = days + 719468
    local era = math.floor(z / 146097)
    local doe = z - era * 146097
    local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
    local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
    local mp = math.floor((5 * doy + 2) / 153)
    local day = doy - math.floor((153 * mp + 2) / 5) + 1
    local month = mp - 9
    if mp < 10 then month = mp + 3 end
    local year = yoe + era * 400
    if month <= 2 then year = year + 1 end
    return year, month, day
  end

  local function daysInMonth(year, month)
    if month == 12 then return daysFromCivil(year + 1, 1, 1) - daysFromCivil(year, month, 1) end
    return daysFromCivil(year, month + 1, 1) - daysFromCivil(year, month, 1)
  end

  local function monthStart(year, month, day, timeOfDay)
    local y = year + math.floor((month - 1) / 12)
    local m = ((((month - 1) % 12) + 12) % 12) + 1
    local d = math.min(day, daysInMonth(y, m))
    return daysFromCivil(y, m, d) * DAY_MS + timeOfDay
  end

  -- step 1: months, 12: years
  local function calendarMonths(now, step)
    local year, month = civilFromDays(math.floor(now / DAY_MS))
    if step == 12 then month = 1 end
    return monthStart(year, month, 1, 0), monthStart(year, month + step, 1, 0)
  end

  local function anchoredMonths(now, anchor, step)
    local anchorDays = math.floor(anchor / DAY_MS)
    local timeOfDay = anchor - anchorDays * DAY_MS
    local ay, am, ad = civilFromDays(anchorDays)
    local ny, nm = civilFromDays(math.floor(now / DAY_MS))
    local k = math.floor(((ny - ay) * 12 + (nm - am)) / step) * step
    if monthStart(ay, am + k, ad, timeOfDay) > now then k = k - step end
    return monthStart(ay, am + k, ad, timeOfDay), monthStart(ay, am + k + step, ad, timeOfDay)
  end

  return calendarMonths, anchoredMonths
end

-- returns start, end of the billing period holding now (UTC calendar); anchor may be nil
local function billingPeriod(rule, now, anchor)
  local per = rule.per
  if per == 'lifetime' then return 0, LIFETIME_END end
  local from = nil
  if rule.anchor == 'subscription' then from = anchor end
  if per == 'day' or per == 'week' then
    local length = DAY_MS
    if per == 'week' then length = WEEK_MS end
    local start
    if from ~= nil then
      start = from + math.floor((now - from) / length) * length
    else
      local days = math.floor(now / DAY_MS)
      -- 1970-01-01 was a Thursday: the Monday on or before day d is d - (d + 3) mod 7 (Lua's % is floored: never negative)
      if per == 'week' then days = days - (days + 3) % 7 end
      start = days * DAY_MS
    end
    return start, start + length
  end
  local step = 1
  if per == 'year' then step = 12 end
  if not calendarMonths then calendarMonths, anchoredMonths = calendarMath() end
  if from == nil then return calendarMonths(now, step) end
  return anchoredMonths(now, from, step)
end
`;
