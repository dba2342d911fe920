// `claimPayment`: records a payment's replay key unless a live record exists. Expiry is decided by
// the engine's clock (the stored value); the Redis TTL only collects garbage.
//
// KEYS[1]  the payment's claim key
// ARGV     expires at (ms), now (ms)
// Reply    'claimed' | 'replayed'
import { luaScript } from './script.js';

const CLAIM_PAYMENT_LUA = `
local expires = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local seen = tonumber(redis.call('GET', KEYS[1]))
if seen and seen > now then return 'replayed' end
redis.call('SET', KEYS[1], string.format('%.0f', expires), 'PX', string.format('%.0f', math.max(1, expires - now)))
return 'claimed'
`;

export const CLAIM_PAYMENT_SCRIPT = luaScript('claim-payment', CLAIM_PAYMENT_LUA);
