// `release`: gives back what an admission held under its key, once: credits, and each quota
// amount on the counter it was added to (only while that period's key still exists; never below
// zero). Rate windows are never given back.
//
// KEYS[1]  account hash, KEYS[2] the hold's ledger hash
// ARGV     now (ms)
// Reply    'released', credits | 'nothing-held'
import { luaScript } from './script.js';

const RELEASE_LUA = `
local now = tonumber(ARGV[1])
local hold = redis.call('HGETALL', KEYS[2])
local fields = {}
for i = 1, #hold, 2 do fields[hold[i]] = hold[i + 1] end
if fields.hold ~= '1' or fields.released == '1' or tonumber(fields.expires) <= now then
  return {'nothing-held'}
end
redis.call('HSET', KEYS[2], 'released', 1)
local credits = tonumber(fields.credits)
if credits > 0 then redis.call('HINCRBY', KEYS[1], 'credits', credits) end
for field, amount in pairs(fields) do
  if string.sub(field, 1, 2) == 'q:' then
    local key = string.sub(field, 3)
    local used = tonumber(redis.call('GET', key))
    if used then redis.call('SET', key, math.max(0, used - tonumber(amount)), 'KEEPTTL') end
  end
end
return {'released', credits}
`;

export const RELEASE_SCRIPT = luaScript('release', RELEASE_LUA);
