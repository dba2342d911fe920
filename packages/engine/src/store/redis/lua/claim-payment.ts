// `claimPayment`: records a payment's replay key unless a live record exists. Expiry is decided by
// the engine's clock (the stored value); the Redis TTL only collects garbage. A claim the engine
// may abandon (onFailure: closed) carries an owner token and a deadline: past the deadline by the
// server's clock, or once that owner's void left its tombstone, it refuses without writing.
//
// KEYS[1]  the payment's claim key; KEYS[2] the owner's tombstone key (same slot), when owned
// ARGV     expires at (ms), now (ms), owner ('' = none), deadline by the server's clock (ms; '' = none)
// Reply    'claimed' | 'replayed' | 'too-late'
import { luaScript } from './script.js';

const CLAIM_PAYMENT_LUA = `
local expires = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local owner, deadline = ARGV[3], ARGV[4]
if deadline ~= '' then
  local time = redis.call('TIME')
  if tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) > tonumber(deadline) then return 'too-late' end
end
if owner ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return 'too-late' end
local seen = tonumber(string.match(redis.call('GET', KEYS[1]) or '', '^%d+'))
if seen and seen > now then return 'replayed' end
redis.call('SET', KEYS[1], string.format('%.0f', expires) .. ' ' .. owner, 'PX', string.format('%.0f', math.max(1, expires - now)))
return 'claimed'
`;

export const CLAIM_PAYMENT_SCRIPT = luaScript('claim-payment', CLAIM_PAYMENT_LUA);
