// `forgetPayment` with an owner: the void of an abandoned claim. It forgets the claim only when
// that owner made it (another request's live claim of the same payment stays); when there is no
// claim yet, it leaves the owner's tombstone so the claim, should it still run, refuses.
//
// KEYS[1]  the payment's claim key; KEYS[2] the owner's tombstone key (same slot)
// ARGV     owner, tombstone TTL (ms)
// Reply    1 when a claim was forgotten, else 0
import { luaScript } from './script.js';

const FORGET_PAYMENT_LUA = `
local claim = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[2], 1, 'PX', ARGV[2])
if claim and string.match(claim, ' (.*)$') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

export const FORGET_PAYMENT_SCRIPT = luaScript('forget-payment', FORGET_PAYMENT_LUA);
