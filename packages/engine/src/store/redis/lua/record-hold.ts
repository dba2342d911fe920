// Lua the admit script uses to record what settling a hold needs (settle-hold.ts), besides what
// the hold took: in the hold's ledger hash, `m` = `<estimate> <overage mode> <draws credits 1/0>
// <overdraft> <overage way 1/0> <exhausted unit quotas> <overage period end>` (the overage way: a
// quota was exhausted at admission; the end of the first quota's period, 0 when the plan has no
// quota) and, per quota counting units that counted the request, `u:<quota key>` = `<limit>
// <period end>`; `p` = the policy (the usage outbox bills the hold under it when it completes) and
// `unsettled` = 'commit' under `costs.onUnsettled: commit`.
import { DAY_MS } from '../../billing-period.js';

/** A quota counter outlives its period by this much (its key's expiry). */
export const QUOTA_GRACE_MS = DAY_MS;
/** An overage counter is kept this long past its period, for billing export. */
export const OVERAGE_KEEP_MS = 35 * DAY_MS;

export const RECORD_HOLD_LUA = `
local function holdUnits(held, key, limit, periodEnd)
  held[#held + 1] = 'u:' .. key
  held[#held + 1] = limit .. ' ' .. int(periodEnd)
end

local function holdTerms(held, context, rule, cost, overageWay, exhaustedUnits, overageEnd)
  local drawsCredits, way = 0, 0
  if rule.credits then drawsCredits = 1 end
  if overageWay then way = 1 end
  held[#held + 1] = 'm'
  held[#held + 1] = int(cost) .. ' ' .. rule.overage .. ' ' .. drawsCredits .. ' ' .. context.overdraft .. ' ' .. way .. ' ' .. exhaustedUnits .. ' ' .. int(overageEnd)
  held[#held + 1] = 'p'
  held[#held + 1] = context.policy
  if context.unsettled == 'commit' then
    held[#held + 1] = 'unsettled'
    held[#held + 1] = 'commit'
  end
end
`;
