import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../runtime.js';
import { OperationsConfigError, operationsFromEnv } from './operations.js';

describe('operations settings from the environment', () => {
  it('defaults to no log, no endpoint, the default facilitator timeouts and no facilitator headers', () => {
    expect(operationsFromEnv({})).toEqual({ facilitatorTimeouts: { verifyMs: 3000, settleMs: 15_000 }, facilitatorHeaders: new Map() });
  });

  it('reads every setting', () => {
    expect(
      operationsFromEnv({
        TOLLGATE_DECISION_LOG: '/var/log/tollgate.jsonl',
        TOLLGATE_METRICS_PORT: '9464',
        TOLLGATE_METRICS_HOST: '0.0.0.0',
        TOLLGATE_X402_VERIFY_TIMEOUT_MS: '500',
        TOLLGATE_X402_SETTLE_TIMEOUT_MS: '20000',
        TOLLGATE_X402_FACILITATOR_HEADERS: '{"https://x402.example/facilitator/": {"Authorization": "Bearer abc"}}',
      }),
    ).toEqual({
      decisionLog: { kind: 'file', path: '/var/log/tollgate.jsonl' },
      metrics: { host: '0.0.0.0', port: 9464 },
      facilitatorTimeouts: { verifyMs: 500, settleMs: 20_000 },
      facilitatorHeaders: new Map([['https://x402.example/facilitator', { Authorization: 'Bearer abc' }]]),
    });
    expect(operationsFromEnv({ TOLLGATE_DECISION_LOG: 'stderr' }).decisionLog).toEqual({ kind: 'stderr' });
    expect(operationsFromEnv({ TOLLGATE_DECISION_LOG: 'off' }).decisionLog).toBeUndefined();
  });

  it('lists every problem at once, and never allows stdout (Kong parses it)', () => {
    const read = () => operationsFromEnv({ TOLLGATE_DECISION_LOG: 'stdout', TOLLGATE_METRICS_PORT: '70000', TOLLGATE_X402_VERIFY_TIMEOUT_MS: 'soon' });
    expect(read).toThrow(OperationsConfigError);
    expect(read).toThrow(/3 problems/);
    expect(read).toThrow(/stdout is not allowed/);
    expect(read).toThrow(/TOLLGATE_METRICS_PORT: "70000" is not an integer from 0 to 65535/);
    expect(read).toThrow(/TOLLGATE_X402_VERIFY_TIMEOUT_MS: "soon"/);
  });

  it('lists the facilitator headers problems with the others, never with a header value', () => {
    const env = {
      TOLLGATE_METRICS_PORT: 'x',
      TOLLGATE_X402_FACILITATOR_HEADERS: JSON.stringify({ 'https://x402.example/?key=abc': { Authorization: 'Bearer abc' }, 'https://other.example': { 'X-Api-Key': 'abc\n' } }),
    };
    const error: unknown = (() => {
      try {
        return operationsFromEnv(env);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(OperationsConfigError);
    const { problems, message } = error as OperationsConfigError;
    expect(problems).toEqual([
      'TOLLGATE_METRICS_PORT: "x" is not an integer from 0 to 65535',
      expect.stringMatching(/^TOLLGATE_X402_FACILITATOR_HEADERS: the key for https:\/\/x402\.example has a query; /),
      expect.stringMatching(/^TOLLGATE_X402_FACILITATOR_HEADERS: https:\/\/other\.example: the value of header X-Api-Key contains CR, LF, NUL/),
    ]);
    expect(message).not.toContain('abc');
  });

  it('reads a CDP API key for the CDP facilitator, and stops the start on half of one', () => {
    const secret = Buffer.alloc(64, 7).toString('base64');
    expect(operationsFromEnv({ TOLLGATE_X402_CDP_API_KEY_ID: 'key-1', TOLLGATE_X402_CDP_API_KEY_SECRET: secret }).cdpAuth).toMatchObject({
      url: 'https://api.cdp.coinbase.com/platform/v2/x402',
      keyId: 'key-1',
      algorithm: 'EdDSA',
    });
    expect(() => operationsFromEnv({ TOLLGATE_X402_CDP_API_KEY_SECRET: secret })).toThrow(/TOLLGATE_X402_CDP_API_KEY_ID: required with TOLLGATE_X402_CDP_API_KEY_SECRET/);
  });
});

describe('the runtime starts the metrics endpoint', () => {
  it('on a free port, with /healthz and /metrics', async () => {
    const runtime = createRuntime({ router: 'kong-atc', env: { TOLLGATE_METRICS_PORT: '0' } });
    const port = await runtime.metricsPort;
    expect(port).toBeGreaterThan(0);
    expect(await (await fetch(`http://127.0.0.1:${String(port)}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`http://127.0.0.1:${String(port)}/metrics`)).text()).toContain('# TYPE tollgate_decisions_total counter');
    await runtime.close();
  });

  it('reports a port already in use and carries on without the endpoint', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const errors: string[] = [];
    const runtime = createRuntime({ router: 'kong-atc', env: { TOLLGATE_METRICS_PORT: String(port) }, onError: (m) => errors.push(m) });
    expect(await runtime.metricsPort).toBeUndefined();
    expect(errors).toEqual([expect.stringContaining(`metrics endpoint 127.0.0.1:${String(port)} not started: listen EADDRINUSE`)]);
    expect(runtime.engineFor({ version: 1, policy: 'p', routes: [{ name: 'r', paths: ['/'] }], identity: { auth: 'none', limitBy: 'ip' }, plans: [], consumerPlans: {}, costs: {}, store: { kind: 'memory' } }).ok).toBe(true);
    await runtime.close();
    await new Promise((resolve) => taken.close(resolve));
  });
});
