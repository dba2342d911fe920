// `completeHold`: commit (keep, its credits billed to the usage outbox) or release (give back) what
// an admission held, once. Expired
// holds of the account are given back first, so a hold past its expiry answers nothing-held; the
// account's holdsDue is brought up to date whenever a hold left the set.
//
// KEYS[1]  account hash
// ARGV     key base, hold key, 'commit' | 'release', now (ms)
// Reply    'committed' | 'released', credits | 'nothing-held'
import { HOLDS_LUA } from './holds.js';
import { luaScript } from './script.js';

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
if completion == 'release' then return {'released', giveBack(KEYS[1], ledgerKey, false)} end
return {'committed', billCommittedHold(base, ledgerKey, holdKey)}
`;

export const COMPLETE_HOLD_SCRIPT = luaScript('complete-hold', HOLDS_LUA + COMPLETE_HOLD_LUA);
