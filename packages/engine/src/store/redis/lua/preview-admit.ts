// `previewAdmit` (tollgate why): the admit script itself, with its three writing parts swapped
// for read-only ones, sent with EVALSHA_RO so that Redis refuses any write it might still attempt.
// The checks — account, plan, subscription, entitlement, windows, quotas, credits — are admit's
// own text, so a preview cannot drift from what admit decides. What is swapped:
// - expired grants are not dropped but subtracted, on a list of the grants the preview keeps;
// - due holds are not given back but added up: their credits at once (to that list's open grants, grants.ts), their quota units
//   subtracted from the counters once read (as giveBack would, never below 0);
// - nothing is written when allowed: the quota counts, credits and grants of the reply are computed as
//   admit's writes would leave them (the reply is admit's, an allowed one as if consumed);
// - a due credit refill is counted in the balance, not written.
import { ADMIT_SOURCE } from './admit.js';
import { luaScript } from './script.js';

const EXPIRE_GRANTS = `  if grantsDue and grantsDue <= now then
    credits, grants = expireGrants(accountKey, now)
  end
`;

const DROP_EXPIRED_GRANTS = `  local openGrants = readGrants(grants)
  credits = credits - dropExpired(openGrants, now)
  grants = grantsText(openGrants)
`;

const GIVE_BACK_DUE = `  if holdsDue and holdsDue <= now then
    expireHolds(accountKey, base, now)
    holdsDue = noteHoldsDue(accountKey, base)
    local state = call('HMGET', accountKey, 'credits', GRANTS)
    credits, grants = tonumber(state[1]) or 0, state[2]
  end
`;

const ADD_UP_DUE = `  local dueBack = false
  if holdsDue and holdsDue <= now then
    dueBack = {}
    for _, key in ipairs(call('ZRANGEBYSCORE', base .. 'h', '-inf', now, 'LIMIT', 0, 64)) do
      local ledgerKey = base .. 'l:' .. key
      if call('HGET', ledgerKey, 'unsettled') ~= 'commit' then
        local hold = call('HGETALL', ledgerKey)
        local held, parts = 0, false
        for i = 1, #hold, 2 do
          local field, value = hold[i], hold[i + 1]
          if field == 'credits' then
            held = tonumber(value) or 0
          elseif field == 'g' then
            parts = value
          elseif string.sub(field, 1, 2) == 'q:' then
            local counter = string.sub(field, 3)
            dueBack[counter] = (dueBack[counter] or 0) + tonumber(value)
          end
        end
        credits = credits + returnToGrants(openGrants, credits, held, held, parts)
      end
    end
    grants = grantsText(openGrants)
  end
`;

const CHECKS_START = '  -- Bit i - 1 of limited: window i refuses.\n';

const WRITE_REFILL = "      call('HSET', accountKey, 'credits', credits, 'refilledAt', int(refillStart))\n";

const SUBTRACT_DUE = `  if dueBack then
    for i = W + 1, W + Q do
      local back = dueBack[reads[i]]
      if back and counts[i] then counts[i] = math.max(0, tonumber(counts[i]) - back) end
    end
  end
`;

const WRITES_START = '  -- Allowed: only now is anything written.';
const WRITES_END = '\n  out[1], out[7], out[8], out[9], out[10], out[11], out[12] = outcome, credits, retryAfterMs, draw, overage, violated, grants\n';

const COUNT_WITHOUT_WRITING = `  if allowed then
    for i = 1, Q do
      local q, used = quotas[i], counts[W + i]
      local amount = q.units and cost or 1
      if amount > 0 and used + amount > q.limit then
        if rule.overage == 'bill' then overage = overage + amount end
      else
        counts[W + i] = used + amount
      end
    end
    credits = credits - draw
    if draw > 0 then
      takeFromGrants(openGrants, draw)
      grants = grantsText(openGrants)
    end
  end
`;

/** `source` with `part` replaced; the part must occur exactly once (else the admit script changed under this file). */
function swap(source: string, part: string, replacement: string): string {
  const at = source.indexOf(part);
  if (at < 0 || source.indexOf(part, at + 1) >= 0) throw new Error(`preview-admit: the admit script no longer holds exactly one ${JSON.stringify(part.slice(0, 40))}`);
  return source.slice(0, at) + replacement + source.slice(at + part.length);
}

function previewSource(admit: string): string {
  const start = admit.indexOf(WRITES_START);
  const end = admit.indexOf(WRITES_END, start);
  if (start < 0 || end < 0) throw new Error('preview-admit: the admit script no longer has its writes where this file expects them');
  const withoutWrites = admit.slice(0, start) + COUNT_WITHOUT_WRITING + admit.slice(end);
  const readOnly = swap(swap(withoutWrites, EXPIRE_GRANTS, DROP_EXPIRED_GRANTS), GIVE_BACK_DUE, ADD_UP_DUE);
  return swap(swap(readOnly, CHECKS_START, SUBTRACT_DUE + CHECKS_START), WRITE_REFILL, '');
}

export const PREVIEW_ADMIT_SCRIPT = luaScript('preview-admit', previewSource(ADMIT_SOURCE));
