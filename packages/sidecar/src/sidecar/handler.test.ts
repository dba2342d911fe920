import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@tollgate/apisix-runner';
import { createRuntime } from '@tollgate/engine';
import { FrameType, type DecideRequest } from '../protocol/wire.js';
import { SidecarHandler } from './handler.js';
import { meteredRoutesConfig } from '../../../../test/support/metered-routes.js';

const CONFIG = meteredRoutesConfig('sidecar-metered', 1000, { kind: 'memory' });

const runtime = createRuntime({ env: {}, router: 'kong-atc' });
const handler = new SidecarHandler(runtime, silentLogger, 60_000);
afterAll(() => runtime.close());

const register = (route: string | undefined) => handler.register({ policy: JSON.stringify(CONFIG), route, gateway: 'kong' }).body as { token: number; body: boolean };
const decide = (token: number, path: string, body?: string): DecideRequest => ({
  token,
  method: 'POST',
  path,
  rawQuery: '',
  headers: { host: 'api' },
  clientIp: '203.0.113.9',
  consumer: undefined,
  credentialId: undefined,
  scheme: undefined,
  body,
  bodyTruncated: false,
  deadline: undefined,
});

describe('registration', () => {
  it('asks for the request body only where a route of the entry reads it', () => {
    expect(register('chat').body).toBe(true);
    expect(register('search').body).toBe(false);
    expect(register('status').body).toBe(false);
    expect(register(undefined).body).toBe(true);
  });
});

describe('a metered decision and its completion', () => {
  it('continues with what to observe, and completes with what the adapter observed', async () => {
    const { token } = register('search');
    const answer = await handler.decide(decide(token, '/search'));
    expect(answer.type).toBe(FrameType.Continue);
    const body = answer.body as { f?: string; o?: unknown };
    expect(body.o).toEqual({ h: 'x-cost-units' });
    expect(typeof body.f).toBe('string');
    const completed = await handler.complete({ token, followUp: body.f ?? '', status: 200, response: { header: '9' } });
    expect(completed.type).toBe(FrameType.Completed);
    // The hold of 3 units settled at the 9 the header stated.
    const compiled = runtime.engineFor(JSON.stringify(CONFIG));
    if (!compiled.ok) throw new Error(compiled.errors.join('; '));
    const usage = await compiled.engine.usage({ method: 'GET', path: '/search', headers: {}, query: {}, clientIp: '203.0.113.9' });
    expect(JSON.stringify(usage)).toContain('"used":9');
  });

  it('asks a body-metered route to capture the body, deciding on the request body it was sent', async () => {
    const { token } = register('chat');
    const answer = await handler.decide(decide(token, '/chat', '{"max_tokens":40}'));
    expect((answer.body as { o?: unknown }).o).toEqual({ b: true });
  });
});

describe("a decision read past the adapter's deadline (a stalled sidecar)", () => {
  const registerFailing = (onFailure: 'open' | 'closed') =>
    (handler.register({ policy: JSON.stringify({ ...CONFIG, policy: `late-${onFailure}`, store: { kind: 'memory', onFailure } }), route: 'status', gateway: 'kong' }).body as { token: number }).token;

  it('failing closed: not decided (the adapter refused the request), answered ERROR', async () => {
    const token = registerFailing('closed');
    expect(await handler.decide({ ...decide(token, '/status'), deadline: Date.now() - 1 })).toEqual({ type: FrameType.Error, body: { error: "not decided: past the adapter's deadline, the policy failed closed" } });
    expect((await handler.decide({ ...decide(token, '/status'), deadline: Date.now() + 60_000 })).type).toBe(FrameType.Continue);
  });

  it('failing open: decided (the adapter let the request through, so it counts)', async () => {
    const token = registerFailing('open');
    expect((await handler.decide({ ...decide(token, '/status'), deadline: Date.now() - 1 })).type).toBe(FrameType.Continue);
  });
});
