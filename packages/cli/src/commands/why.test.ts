// `tollgate why` against a real redis-server and against a --state file: its answer is what
// decide then does for the same state (status, reason, headers), and the store is byte for byte
// what it was before (every key's DUMP and absolute expiry).
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildIr } from '@tollgate/compiler';
import { createAccounts, createEngine, createMemoryStore, createRedisStore, ManualClock, type Decision, type EngineConfig, type Explanation, type Store } from '@tollgate/engine';
import { loadProject } from '@tollgate/policy';
import { redisSkipReason, redisSnapshot, useRedisServer } from '../../../../test/support/redis.js';
import { readSources } from '../sources.js';
import { CliError, type CliIo } from '../io.js';
import { why } from './why.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

const AT = '2026-03-10T12:00:00.000Z';
const NOW = Date.parse(AT);

function io(cwd: string, env: Record<string, string> = {}): CliIo & { out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  return { cwd, env, stdout, stderr: new PassThrough(), out: () => out };
}

const policy = (store: string) => `apiVersion: tollgate.dev/v1
kind: Policy
metadata: { name: weather }
spec:
  routes: [{ name: forecast, paths: [/v1/forecast], methods: [GET] }, { name: history, paths: [/v1/history], methods: [GET] }]
  identity: { auth: key-auth, limitBy: consumer }
  plans:
    free: { rateLimit: { minute: 2 }, routes: [forecast] }
    pro: { rateLimit: { minute: 100 }, quota: { units: 12, per: month }, credits: true }
  defaultPlan: free
  costs: { default: 5 }
  subscription: { required: true, statuses: [active], graceDays: 3 }
  payment: { upgradeUrl: https://billing.example.com/upgrade }
  store: ${store}
`;

function project(store: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-why-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'weather.yaml'), policy(store));
  return dir;
}

async function configOf(cwd: string): Promise<EngineConfig> {
  const { project: loaded } = loadProject(await readSources(['policies'], cwd));
  return buildIr(loaded).ir.policies[0]?.config as EngineConfig;
}

async function runWhy(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; explanation: Explanation }> {
  const out = io(cwd, env);
  const code = await why([...args, '--policies', 'policies', '--policy', 'weather', '--at', AT, '--json'], out);
  return { code, explanation: JSON.parse(out.out()) as Explanation };
}

/** What `why` reported as the decision, in the terms decide answers with. */
function decided(d: Decision): { status: number; reason: string; headers: Readonly<Record<string, string>> } {
  return d.kind === 'allow' ? { status: d.log.status, reason: 'allowed', headers: d.responseHeaders } : { status: d.status, reason: d.reason, headers: d.headers };
}

/** `why`, then decide on the same store and clock: they must agree. */
async function whyThenDecide(cwd: string, store: Store, consumer: string, path: string, env: Record<string, string> = {}, state: string[] = []): Promise<Explanation> {
  const { code, explanation } = await runWhy(cwd, [consumer, 'GET', path, ...state], env);
  const compiled = createEngine(await configOf(cwd), store, new ManualClock(NOW));
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  const decision = await compiled.engine.decide({ method: 'GET', path, headers: {}, query: {}, clientIp: '127.0.0.1', consumer: { username: consumer } });
  expect({ status: explanation.decision.status, reason: explanation.decision.reason, headers: explanation.decision.headers }).toEqual(decided(decision));
  expect(code).toBe(decision.kind === 'allow' ? 0 : 1);
  return explanation;
}

describe('tollgate why: usage', () => {
  it('explains usage errors without a stack trace', async () => {
    const cwd = project('{ kind: memory }');
    await expect(why([], io(cwd))).rejects.toThrow(CliError);
    await expect(why(['alice', 'GET'], io(cwd))).rejects.toThrow(/expected <account> <METHOD> <path>/);
    await expect(why(['alice', 'GET', '/v1/forecast'], io(cwd))).rejects.toThrow(/--policies <dir> and --policy <name> are required/);
    await expect(why(['alice', 'GET', 'v1', '--policies', 'policies', '--policy', 'weather'], io(cwd))).rejects.toThrow(/must start with/);
    await expect(why(['alice', 'GET', '/v1/forecast', '--policies', 'policies', '--policy', 'nope'], io(cwd))).rejects.toThrow('no policy named "nope" in policies (policies found: weather)');
    await expect(why(['alice', 'GET', '/v1/forecast', '--policies', 'policies', '--policy', 'weather', '--header', 'nocolon'], io(cwd))).rejects.toThrow(/--header takes name:value/);
  });
});

describe('tollgate why: the memory store from a --state file', () => {
  it('answers what decide answers for the same accounts', async () => {
    const cwd = project('{ kind: memory }');
    const state = { accounts: { alice: { plan: 'pro', status: 'active', paidThrough: '2026-03-08T00:00:00Z', credits: 3 }, bob: { plan: 'free', status: 'active', paidThrough: '2026-04-01T00:00:00Z' } } };
    writeFileSync(join(cwd, 'state.json'), JSON.stringify(state));
    const seeded = async (): Promise<Store> => {
      const store = createMemoryStore();
      const accounts = createAccounts(store, new ManualClock(NOW));
      await accounts.setPlan('alice', 'pro');
      await accounts.setStatus('alice', 'active', { paidThrough: Date.parse('2026-03-08T00:00:00Z') });
      await accounts.changeCredits('alice', 'grant', 3);
      await accounts.setPlan('bob', 'free');
      await accounts.setStatus('bob', 'active', { paidThrough: Date.parse('2026-04-01T00:00:00Z') });
      return store;
    };
    const alice = await whyThenDecide(cwd, await seeded(), 'alice', '/v1/forecast', {}, ['--state', 'state.json']);
    expect(alice.subscription).toMatchObject({ required: true, passes: true, graceUntil: '2026-03-11T00:00:00.000Z' });
    expect(alice.decision.reason).toBe('insufficient-credits');
    expect(alice.credits).toMatchObject({ balance: 3, cost: 5 });
    expect(alice.advice.operator).toContain('tollgate account grant alice 2 --key <idempotency key>  (the least that lets this request through)');
    const bob = await whyThenDecide(cwd, await seeded(), 'bob', '/v1/history', {}, ['--state', 'state.json']);
    expect(bob.entitlement).toEqual({ entitled: false, reason: 'plan-upgrade-required', plansWithRoute: ['pro'] });
    expect(bob.advice.operator).toEqual(['tollgate account set-plan bob pro']);
  });
});

describe('tollgate why: an MCP route', () => {
  it('prices the JSON-RPC body given with --body, and refuses one it cannot read as decide does', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tollgate-why-'));
    mkdirSync(join(cwd, 'policies'));
    const mcp = policy('{ kind: memory }')
      .replace('{ name: history, paths: [/v1/history], methods: [GET] }', '{ name: mcp, paths: [/mcp], methods: [POST] }')
      .replace('routes: [forecast] }', 'routes: [forecast, mcp] }')
      .replace('costs: { default: 5 }', 'costs: { default: 5, mcp: { mcp: { tools: { deep_research: 50 } } } }')
      .replace('  subscription: { required: true, statuses: [active], graceDays: 3 }\n', '');
    writeFileSync(join(cwd, 'policies', 'weather.yaml'), mcp);
    writeFileSync(join(cwd, 'state.json'), JSON.stringify({ accounts: { alice: { plan: 'pro', credits: 30 } } }));
    const tool = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"deep_research"}}';
    const priced = await runWhy(cwd, ['alice', 'POST', '/mcp', '--body', tool, '--state', 'state.json']);
    expect(priced).toMatchObject({ code: 1, explanation: { cost: 50, credits: { balance: 30, cost: 50 }, decision: { status: 402, reason: 'quota-exhausted' } } });
    const unreadable = await runWhy(cwd, ['alice', 'POST', '/mcp', '--body', '{"jsonrpc":', '--state', 'state.json']);
    expect(unreadable).toMatchObject({ code: 1, explanation: { decision: { status: 400, reason: 'invalid-request' } } });
  });
});

describe.skipIf(skip !== undefined)('tollgate why: a real redis-server', () => {
  const redis = useRedisServer();
  const snapshot = () => redisSnapshot(redis.admin);

  it('at every step, why answers what decide then does, and leaves the store as it was', async () => {
    // A generous store timeout: under load, decide's default 50 ms could fail open and differ for that reason alone.
    const cwd = project('{ kind: redis, url: { env: TOLLGATE_REDIS_URL }, keyPrefix: why, timeoutMs: 1000 }');
    const env = { TOLLGATE_REDIS_URL: redis.server.url };
    const store = createRedisStore({ kind: 'redis', url: redis.server.url, keyPrefix: 'why', timeoutMs: 2000 });
    try {
      const accounts = createAccounts(store, new ManualClock(NOW));
      await accounts.setPlan('carol', 'pro');
      await accounts.setStatus('carol', 'active', { paidThrough: NOW + 86_400_000 });
      await accounts.changeCredits('carol', 'grant', 20);
      const reasons: string[] = [];
      for (let i = 0; i < 4; i++) {
        const before = await snapshot();
        const { explanation } = await runWhy(cwd, ['carol', 'GET', '/v1/forecast'], env);
        expect(await snapshot()).toEqual(before);
        expect(Object.keys(before).length).toBeGreaterThan(0);
        // decide (on the same state) agrees, then consumes: the next why sees its writes.
        await whyThenDecide(cwd, store, 'carol', '/v1/forecast', env);
        reasons.push(`${explanation.decision.reason} q=${explanation.quotas[0]?.used ?? '-'} c=${explanation.credits?.balance ?? '-'}`);
      }
      // units quota 12 at cost 5: two requests fit; the third would pass it (overage: block).
      expect(reasons).toEqual(['allowed q=5 c=15', 'allowed q=10 c=10', 'quota-exhausted q=10 c=10', 'quota-exhausted q=10 c=10']);
    } finally {
      await store.close();
    }
  });

  it('shows the open expiring grants of the balance, as the request would leave them', async () => {
    const cwd = project('{ kind: redis, url: { env: TOLLGATE_REDIS_URL }, keyPrefix: whygrants, timeoutMs: 1000 }');
    const env = { TOLLGATE_REDIS_URL: redis.server.url };
    const store = createRedisStore({ kind: 'redis', url: redis.server.url, keyPrefix: 'whygrants', timeoutMs: 2000 });
    try {
      const accounts = createAccounts(store, new ManualClock(NOW));
      await accounts.setPlan('dave', 'pro');
      await accounts.setStatus('dave', 'active', { paidThrough: NOW + 86_400_000 });
      await accounts.changeCredits('dave', 'grant', 4, 'trial', { expiresAt: NOW + 3_600_000 });
      await accounts.changeCredits('dave', 'grant', 10);
      const { explanation } = await runWhy(cwd, ['dave', 'GET', '/v1/forecast'], env);
      expect(explanation.credits).toMatchObject({ balance: 9, grants: [{ amount: 0, expiresAt: new Date(NOW + 3_600_000).toISOString() }] });
      const text = io(cwd, env);
      await why(['dave', 'GET', '/v1/forecast', '--policies', 'policies', '--policy', 'weather', '--at', new Date(NOW).toISOString()], text);
      expect(text.out()).toContain(`balance 9 (expiring first: 0 until ${new Date(NOW + 3_600_000).toISOString()})`);
    } finally {
      await store.close();
    }
  });
});
