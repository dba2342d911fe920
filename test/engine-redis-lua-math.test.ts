// The Lua ports of windows.ts and billing-period.ts compute exactly what the TypeScript does:
// thousands of seeded random cases evaluated by a real redis-server, compared number for number
// (fractional sliding-window usage included, via %.17g which round-trips a double).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingPeriod, checkWindow, remainingAfter, type QuotaRule, type WindowRule } from '../packages/engine/src/index.js';
import { PERIOD_MATH_LUA } from '../packages/engine/src/store/redis/lua/period-math.js';
import { SHARED_LUA } from '../packages/engine/src/store/redis/lua/shared.js';
import { WINDOW_MATH_LUA } from '../packages/engine/src/store/redis/lua/window-math.js';
import { RedisServer, redisSkipReason } from './support/redis.js';
import { mulberry32 } from './support/seeded-random.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const CASES = 3000;
const QUOTA_PERIODS = ['day', 'week', 'month', 'year', 'lifetime'] as const;
const WINDOW_MS = [1000, 60_000, 3_600_000, 86_400_000];
const FROM = Date.UTC(1999, 0, 1);
const TO = Date.UTC(2101, 0, 1);

const WINDOW_HARNESS = `
local cases = cjson.decode(ARGV[1])
local out = {}
for i, c in ipairs(cases) do
  local allowed, usage, retryMs, endMs = checkWindow(c.rule, c.start, c.current, c.previous, c.now)
  out[i] = {allowed and 1 or 0, string.format('%.17g', usage), retryMs, endMs, remainingAfter(c.rule.limit, usage, allowed)}
end
return out
`;

const PERIOD_HARNESS = `
local cases = cjson.decode(ARGV[1])
local out = {}
for i, c in ipairs(cases) do
  local anchor = nil
  if c.anchor ~= cjson.null then anchor = c.anchor end
  local s, e = billingPeriod(c.rule, c.now, anchor)
  out[i] = {int(s), int(e)}
end
return out
`;

describe.skipIf(skip !== undefined)('Lua window and billing-period math equals the TypeScript', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    await redis.quit();
    await server.close();
  });

  it(`checkWindow and remainingAfter, ${CASES} cases`, async () => {
    const next = mulberry32(7);
    const cases = Array.from({ length: CASES }, () => {
      const ms = WINDOW_MS[Math.floor(next() * WINDOW_MS.length)] as number;
      const rule: WindowRule = { name: 'minute', limit: 1 + Math.floor(next() * 20), ms, sliding: next() < 0.7 };
      const now = FROM + Math.floor(next() * (TO - FROM));
      return { rule, start: now - (now % ms), now, current: Math.floor(next() * 25), previous: Math.floor(next() * 25) };
    });
    const reply = (await redis.eval(SHARED_LUA + WINDOW_MATH_LUA + WINDOW_HARNESS, 0, JSON.stringify(cases))) as [number, string, number, number, number][];
    const lua = reply.map(([allowed, usage, retryMs, endMs, remaining]) => ({ allowed: allowed === 1, usage: Number(usage), retryMs, endMs, remaining }));
    const ts = cases.map((c) => {
      const check = checkWindow(c.rule, { start: c.start, current: c.current, previous: c.previous }, c.now);
      return { ...check, remaining: remainingAfter(c.rule, check.usage, check.allowed) };
    });
    expect(lua).toEqual(ts);
    expect(ts.filter((t) => !t.allowed).length).toBeGreaterThan(CASES / 10);
  });

  it(`billingPeriod, ${CASES} cases (UTC calendar and subscription-anchored; day, week, month, year and lifetime)`, async () => {
    const next = mulberry32(11);
    const cases = Array.from({ length: CASES }, () => {
      const per = QUOTA_PERIODS[Math.floor(next() * QUOTA_PERIODS.length)] as QuotaRule['per'];
      const rule: QuotaRule = { unit: 'requests', limit: 1, per, anchor: next() < 0.7 ? 'subscription' : 'calendar' };
      // Anchors on the 28th–31st exercise month-length clamping.
      const anchor = next() < 0.15 ? null : next() < 0.3 ? Date.UTC(2000 + Math.floor(next() * 90), Math.floor(next() * 12), 28 + Math.floor(next() * 4), 13, 7) : FROM + Math.floor(next() * (TO - FROM) * 0.9);
      const now = (anchor ?? FROM) + Math.floor(next() * (TO - (anchor ?? FROM)));
      return { rule, now, anchor };
    });
    const reply = (await redis.eval(SHARED_LUA + PERIOD_MATH_LUA + PERIOD_HARNESS, 0, JSON.stringify(cases))) as [string, string][];
    const lua = reply.map(([start, end]) => ({ start: Number(start), end: Number(end) }));
    const ts = cases.map((c) => billingPeriod(c.rule, c.now, c.anchor ?? undefined));
    expect(lua).toEqual(ts);
  });
});
