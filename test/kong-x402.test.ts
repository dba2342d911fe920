// x402 and chargeOn success through the Kong harness, the tollgate-x402 plugin and the real kong-js-pluginserver, with the
// local facilitator process: the payment is verified in access, settled in the response phase
// (buffered proxying) only when the upstream answered < 400, and PAYMENT-RESPONSE reaches the
// client; when Kong answers itself (upstream unreachable) the log phase completes instead. The
// plugin server's metrics endpoint and decision log show what happened.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from '@x402/core/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineConfig } from '../packages/engine/src/index.js';
import { TOLLGATE_X402 } from '../packages/kong-plugin/src/plugin-info.js';
import { anonymous, authenticated, startTollgateKong, type TollgateKong } from './support/kong-plugin.js';
import { freePort } from './support/redis.js';
import { paymentHeader, paymentPayloadV1, paymentPayloadV2, testPayer, testRequirements } from './support/x402-client.js';
import { removeFacilitatorBundle, startFacilitatorProcess, type FacilitatorProcess } from './support/x402-facilitator-process.js';
import { nonceOf, oneRequestOnSuccess, x402Policy } from './support/x402-policy.js';

const HOST = 'api.example.com';
const RESOURCE = `http://${HOST}/v1/forecast`;
const payer = testPayer();
const requirements = testRequirements();

let facilitator: FacilitatorProcess;
let t: TollgateKong;
let dir: string;
let metricsPort: number;
let config: EngineConfig;

beforeAll(async () => {
  facilitator = await startFacilitatorProcess();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-kong-x402-'));
  metricsPort = await freePort();
  t = await startTollgateKong({ plugin: TOLLGATE_X402, env: { TOLLGATE_METRICS_PORT: String(metricsPort), TOLLGATE_DECISION_LOG: join(dir, 'decisions.jsonl') } });
  config = x402Policy(facilitator.url, { policy: 'kong-paid' });
});
afterAll(async () => {
  await t.close();
  await facilitator.stop();
  removeFacilitatorBundle();
  rmSync(dir, { recursive: true, force: true });
});

async function paid(version: 1 | 2 = 2) {
  return paymentHeader(version === 2 ? await paymentPayloadV2(payer, requirements, RESOURCE) : await paymentPayloadV1(payer, requirements));
}

/** A caller without a key, as key-auth with `anonymous` hands it to the plugin. */
function client(header?: { name: string; value: string }) {
  return anonymous({ method: 'GET', path: '/v1/forecast', headers: { host: HOST, ...(header === undefined ? {} : { [header.name]: header.value }) } });
}

const settled = async (header: { value: string }) => (await facilitator.settlements()).some((s) => s.nonce === nonceOf(header));

describe('x402 through Kong', () => {
  it('challenges a caller without a payment', async () => {
    const response = await t.kong.request(client(), t.row(config));
    expect(response.status).toBe(402);
    expect(decodePaymentRequiredHeader(response.headers['payment-required']?.[0] ?? '')).toMatchObject({ x402Version: 2, accepts: [{ amount: '10000' }] });
  });

  it('lets a paid request through, settles after the 200 and returns PAYMENT-RESPONSE; the upstream never sees the payment', async () => {
    const header = await paid();
    const response = await t.kong.request(client(header), t.row(config));
    expect(response.status).toBe(200);
    expect(response.upstream?.headers['payment-signature']).toBeUndefined();
    expect(decodePaymentResponseHeader(response.headers['payment-response']?.[0] ?? '')).toMatchObject({ success: true, payer: payer.address });
    expect(response.response?.pdkCalls).toEqual(['kong.ctx.shared.get', 'kong.ctx.shared.set', 'kong.service.response.get_status', 'kong.response.set_headers']);
    expect(await settled(header)).toBe(true);
    // The same payment again: refused with a fresh challenge.
    const replay = await t.kong.request(client(header), t.row(config));
    expect(replay.status).toBe(402);
    expect(replay.headers['payment-required']).toBeDefined();
  });

  it('answers a v1 payer with X-PAYMENT-RESPONSE too', async () => {
    const response = await t.kong.request(client(await paid(1)), t.row(config));
    expect(response.status).toBe(200);
    expect(decodePaymentResponseHeader(response.headers['x-payment-response']?.[0] ?? '')).toMatchObject({ success: true, network: 'base-sepolia' });
  });

  it('does not settle when the upstream fails, and passes its answer through', async () => {
    const header = await paid();
    const response = await t.kong.request(client(header), t.row(config), { upstream: () => ({ status: 500, body: 'boom' }) });
    expect(response).toMatchObject({ status: 500, body: 'boom' });
    expect(response.headers['payment-response']).toBeUndefined();
    expect(await settled(header)).toBe(false);
  });

  it('replaces the upstream answer with a 402 and PAYMENT-RESPONSE when settlement fails', async () => {
    const header = await paid();
    const response = await t.kong.request(client(header), t.row(config), {
      upstream: async () => {
        // The authorisation is spent elsewhere while the upstream works.
        const payload = JSON.parse(Buffer.from(header.value, 'base64').toString('utf8')) as unknown;
        await fetch(`${facilitator.url}/settle`, { method: 'POST', body: JSON.stringify({ x402Version: 2, paymentPayload: payload, paymentRequirements: requirements }) });
        return { status: 200, body: 'the paid content' };
      },
    });
    expect(response.status).toBe(402);
    expect(response.body).not.toContain('the paid content');
    expect(decodePaymentResponseHeader(response.headers['payment-response']?.[0] ?? '')).toMatchObject({ success: false, errorReason: 'invalid_transaction_state' });
  });

  it('completes in the log phase when Kong answers itself (upstream unreachable): nothing settled, payment usable again', async () => {
    const header = await paid();
    const response = await t.kong.request(client(header), t.row(config), {
      upstream: () => {
        throw new Error('connection refused');
      },
    });
    expect(response.status).toBe(502);
    expect(response.response).toBeUndefined();
    expect((await response.log)?.pdkCalls).toEqual(['kong.ctx.shared.get', 'kong.response.get_status']);
    expect(await settled(header)).toBe(false);
    expect((await t.kong.request(client(header), t.row(config))).status).toBe(200);
    expect(await settled(header)).toBe(true);
  });

  it('gives a chargeOn-success hold back when the upstream is unreachable (log phase), and keeps it after a 200', async () => {
    const oneRequest = oneRequestOnSuccess(config, 'kong-success');
    const row = t.row(oneRequest);
    const request = authenticated({ method: 'GET', path: '/v1/forecast' }, 'erin');
    const unreachable = await t.kong.request(request, row, {
      upstream: () => {
        throw new Error('connection refused');
      },
    });
    expect(unreachable.status).toBe(502);
    await unreachable.log;
    expect((await t.kong.request(request, row)).status).toBe(200);
    expect((await t.kong.request(request, row)).status).toBe(402);
  });
});

describe('operations: metrics endpoint and decision log of the plugin server', () => {
  it('serves /healthz and /metrics with the decisions, store calls and payment events so far', async () => {
    await t.kong.settled();
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/tollgate_decisions_total\{policy="kong-paid",decision="deny",reason="payment-required",status="402"\} [1-9]/);
    expect(metrics).toMatch(/tollgate_decisions_total\{policy="kong-paid",decision="allow",reason="allowed",status="200"\} [1-9]/);
    expect(metrics).toMatch(/tollgate_payments_total\{policy="kong-paid",event="settled"\} [1-9]/);
    expect(metrics).toMatch(/tollgate_payments_total\{policy="kong-paid",event="settle-failed"\} 1\b/);
    expect(metrics).toMatch(/tollgate_payments_total\{policy="kong-paid",event="not-settled"\} [1-9]/);
    expect(metrics).toMatch(/tollgate_store_duration_seconds_count\{store="memory",operation="claim-payment"\} [1-9]/);
    expect(metrics).toMatch(/tollgate_decision_duration_seconds_bucket/);
    expect(metrics).toMatch(/tollgate_x402_unsupported_options\{policy="kong-paid"\} 0\b/);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/nope`)).status).toBe(404);
  });

  it('writes one JSON line per decision and settlement, with time, consumer, route, decision, reason, cost and latency', () => {
    const lines = readFileSync(join(dir, 'decisions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const decisions = lines.filter((l) => l.event === 'decision');
    expect(decisions.length).toBeGreaterThanOrEqual(8);
    expect(decisions[0]).toMatchObject({ policy: 'kong-paid', route: 'forecast', decision: 'deny', reason: 'payment-required', status: 402, cost: 0 });
    for (const line of decisions) {
      expect(Date.parse(String(line.time))).not.toBeNaN();
      expect(typeof line.latencyMs).toBe('number');
    }
    expect(decisions).toContainEqual(expect.objectContaining({ decision: 'allow', paid: true, payer: payer.address }));
    expect(decisions).toContainEqual(expect.objectContaining({ policy: 'kong-success', consumer: 'erin', reason: 'quota-exhausted', cost: 1 }));
    expect(lines).toContainEqual(expect.objectContaining({ event: 'payment-settled', upstreamStatus: 200, transaction: expect.stringMatching(/^0x/) as unknown }));
    // The offer was checked against the facilitator's GET /supported when the engine started.
    expect(lines).toContainEqual(expect.objectContaining({ event: 'x402-offer-supported', policy: 'kong-paid', options: 1, unsupported: [] }));
  });
});
