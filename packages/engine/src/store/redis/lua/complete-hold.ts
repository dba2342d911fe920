// `completeHold`: commit (keep, billed to the usage outbox), release (give back) or settle (charge
// the actual cost in place of the estimate, settle-hold.ts) what an admission held, once. Expired
// holds of the account are settled first (given back, or kept under onUnsettled: commit), so a
// hold past its expiry answers nothing-held; the account's holdsDue is brought up to date whenever
// a hold left the set.
//
// KEYS[1]  account hash
// ARGV     key base, hold key, 'commit' | 'release' | 'settle', now (ms), the actual units (settle)
// Reply    'committed' | 'released', credits | 'settled', charged, credits, written off | 'nothing-held'
import { HOLDS_LUA } from './holds.js';
import { luaScript } from './script.js';
import { SETTLE_HOLD_LUA } from './settle-hold.js';
import { SHARED_LUA } from './shared.js';

const COMPLETE_HOLD_LUA = `
local base = ARGV[1]
local holdKey = ARGV[2]
local completion = ARGV[3]
local now = tonumber(ARGV[4])
-- Read together before anything (holds.ts, giveBack): a hold still on the other node of a
-- migrating slot refuses this call (TRYAGAIN; the engine sends it again) instead of 'nothing-held'.
redis.call('MGET', KEYS[1], base .. 'h', base .. 'l:' .. holdKey)
local expired = expireHolds(KEYS[1], base, now)
local completed = redis.call('ZREM', base .. 'h', holdKey) == 1
if expired > 0 or completed then noteHoldsDue(KEYS[1], base) end
if not completed then return {'nothing-held'} end
local ledgerKey = base .. 'l:' .. holdKey
if completion == 'release' then return {'released', giveBack(KEYS[1], ledgerKey, false, base, holdKey)} end
if completion == 'settle' then
  local settled = settleHold(KEYS[1], base, ledgerKey, holdKey, tonumber(ARGV[5]), now)
  return {'settled', settled[1], settled[2], settled[3]}
end
return {'committed', billCommittedHold(base, ledgerKey, holdKey)}
`;

export const COMPLETE_HOLD_SCRIPT = luaScript('complete-hold', SHARED_LUA + HOLDS_LUA + SETTLE_HOLD_LUA + COMPLETE_HOLD_LUA);
