// The admit script's driver (admit.ts): reads the batch's contexts (each rules text's header once
// per batch) and runs its admissions in order, each answering its own reply member (ARGV as
// admit.ts documents it).
export const ADMIT_BATCH_LUA = `
-- The contexts, their rules' header read once per batch; calendar periods only when sent (no table otherwise).
local function numbers(text)
  if text == '' then return false end
  local list = {}
  for number in string.gmatch(text, '%S+') do list[#list + 1] = tonumber(number) end
  return list
end
local contextCount = tonumber(ARGV[1])
local contexts = {}
for c = 1, contextCount do
  local at = 4 * c - 2
  local rules = ARGV[at]
  local policy, cost, grace, statuses, unsettled, overdraft, noPlanAt = string.match(rules, '^([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)\\t()')
  contexts[c] = {
    rules = rules, policy = policy, cost = tonumber(cost), grace = tonumber(grace), statuses = statuses, unsettled = unsettled, overdraft = overdraft, noPlanAt = noPlanAt,
    starts = numbers(ARGV[at + 1]), ends = numbers(ARGV[at + 2]), fallback = ARGV[at + 3], ruleAt = {}, parsed = {},
  }
end

-- The admissions, in order. pcall keeps one admission's error (a key of the wrong type, a record
-- it cannot read) from failing the others: its member of the reply is that error.
-- The server's clock (ms), read once per batch and only when an admission has a deadline: a
-- delayed script (a hung server, a cluster redirect) refuses what the engine no longer waits for.
local replies = {}
local first = 4 * contextCount + 1
local clockMs
for i = 1, #KEYS do
  local now, context, cost, holdKey, id, deadline, scope = string.match(ARGV[first + i], '^(%S+) (%S+) (%S*) (%S*) (%S*) (%S*) (.*)$')
  if deadline ~= '' and not clockMs then
    local time = call('TIME')
    clockMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  end
  local ok, reply
  if deadline ~= '' and clockMs > tonumber(deadline) then
    ok, reply = true, tooLate()
  else
    context = contexts[tonumber(context)]
    ok, reply = pcall(admit, KEYS[i], scope, tonumber(now), tonumber(cost) or context.cost, holdKey, id, context)
  end
  if not ok then
    -- redis.call raises a table {err = message}; Lua itself raises a string.
    if type(reply) == 'table' then reply = reply.err end
    reply = {err = tostring(reply)}
  end
  replies[i] = reply
end
return replies
`;
