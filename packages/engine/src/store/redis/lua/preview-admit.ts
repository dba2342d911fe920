// `previewAdmit` (tollgate why): the admit script itself, with its three writing parts swapped
// for read-only ones, sent with EVALSHA_RO so that Redis refuses any write it might still attempt.
// The checks — account, plan, subscription, entitlement, windows, quotas, credits — are admit's
// own text, so a preview cannot drift from what admit decides. What is swapped:
// - due holds are not given back but added up: their credits at once, their quota units
//   subtracted from the counters once read (as giveBack would, never below 0);
// - nothing is written when allowed: the quota counts and credits of the reply are computed as
//   admit's writes would leave them (the reply is admit's, an allowed one as if consumed);
// - a due credit refill is counted in the balance, not written.
import { ADMIT_SOURCE } from './admit.js';
import { luaScript } from './script.js';

const GIVE_BACK_DUE = `  if holdsDue and holdsDue <= now then
    expireHolds(accountKey, base, now)
    holdsDue = noteHoldsDue(accountKey, base)
    credits = tonumber(call('HGET', accountKey, 'credits')) or 0
  end
`;

const ADD_UP_DUE = `  local dueBack = false
  if holdsDue and holdsDue <= now then
    dueBack = {}
    for _, key in ipairs(call('ZRANGEBYSCORE', base .. 'h', '-inf', now, 'LIMIT', 0, 64)) do
      local ledgerKey = base .. 'l:' .. key
      if call('HGET', ledgerKey, 'unsettled') ~= 'commit' then
        local hold = call('HGETALL', ledgerKey)
        for i = 1, #hold, 2 do
          local field, value = hold[i], hold[i + 1]
          if field == 'credits' then
            credits = credits + (tonumber(value) or 0)
          elseif string.sub(field, 1, 2) == 'q:' then
            local counter = string.sub(field, 3)
            dueBack[counter] = (dueBack[counter] or 0) + tonumber(value)
          end
        end
      end
    end
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
const WRITES_END = '\n  out[1], out[7], out[8], out[9], out[10], out[11] = outcome, credits, retryAfterMs, draw, overage, violated\n';

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
  return swap(swap(swap(withoutWrites, GIVE_BACK_DUE, ADD_UP_DUE), CHECKS_START, SUBTRACT_DUE + CHECKS_START), WRITE_REFILL, '');
}

export const PREVIEW_ADMIT_SCRIPT = luaScript('preview-admit', previewSource(ADMIT_SOURCE));
