// `voidAdmission`: undoes an admission the engine abandoned (answered with a refusal), once. Its
// receipt (the ledger hash admit.ts recorded under the admission's id, holds.ts) is given back
// whole — windows, quota, overage, credits, and what it billed to the usage outbox — and an open
// hold leaves the account's set; a receipt
// already voided, or none at all, undoes nothing. Either way a tombstone (`voided`) stays for the
// receipt's time, so the admission, should it still run (a delayed script), refuses.
//
// KEYS[1]  account hash
// ARGV     key base, admission id, receipt TTL (ms), now (ms: the account's expired grants go
//          first, so credits never return to a grant that has expired, grants.ts)
// Reply    'voided' | 'nothing'
import { GRANTS_LUA } from './grants.js';
import { HOLDS_LUA } from './holds.js';
import { luaScript } from './script.js';
import { SHARED_LUA } from './shared.js';

const VOID_ADMISSION_LUA = `
local base = ARGV[1]
local id = ARGV[2]
local ledgerKey = base .. 'l:' .. id
-- Read together before anything (holds.ts, giveBack): a receipt still on the other node of a
-- migrating slot refuses this call (TRYAGAIN; the engine sends it again) instead of looking absent.
redis.call('MGET', KEYS[1], ledgerKey, base .. 'h')
local result = 'nothing'
expireDueGrants(KEYS[1], tonumber(ARGV[4]))
if redis.call('EXISTS', ledgerKey) == 1 and redis.call('HEXISTS', ledgerKey, 'voided') == 0 then
  if redis.call('ZREM', base .. 'h', id) == 1 then noteHoldsDue(KEYS[1], base) end
  giveBack(KEYS[1], ledgerKey, true, base, id)
  result = 'voided'
end
redis.call('HSET', ledgerKey, 'credits', 0, 'voided', 1)
redis.call('PEXPIRE', ledgerKey, ARGV[3])
return result
`;

export const VOID_ADMISSION_SCRIPT = luaScript('void-admission', SHARED_LUA + GRANTS_LUA + HOLDS_LUA + VOID_ADMISSION_LUA);
