// Credentials for a hosted facilitator, end to end: TOLLGATE_X402_FACILITATOR_HEADERS in the
// runtime's environment, the engine it hands out, and the local facilitator process requiring
// `X-Api-Key: …` on /verify and /settle (401 otherwise, as hosted facilitators answer). The
// headers go only to the facilitator URL they are keyed by, never to another URL on its origin:
// there the facilitator serves an open redirect, and fetch would forward X-Api-Key (unlike
// Authorization) to wherever it leads. A facilitator refusing the operator's credentials makes the
// payment unverifiable (503), not the payer's fault (402), and its answer stays in the decision log.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, assert, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type Deny, type Engine, type Runtime } from '../packages/engine/src/index.js';
import { factsOf } from './support/vectors.js';
import { paymentHeader, paymentPayloadV2, testPayer, testRequirements } from './support/x402-client.js';
import { removeFacilitatorBundle, startFacilitatorProcess, type FacilitatorProcess } from './support/x402-facilitator-process.js';
import { nonceOf, x402Policy } from './support/x402-policy.js';

const HOST = 'api.example.com';
const RESOURCE = `http://${HOST}/v1/forecast`;
const CREDENTIAL = { name: 'X-Api-Key', value: 't0ken' };
const payer = testPayer();

let facilitator: FacilitatorProcess;
/** Another origin, where the facilitator's open redirect can lead: records the headers of every request. */
let elsewhere: Server;
let elsewhereUrl: string;
let elsewhereSaw: IncomingHttpHeaders[];
const runtimes: Runtime[] = [];
beforeAll(async () => {
  facilitator = await startFacilitatorProcess({ requireHeader: `${CREDENTIAL.name}: ${CREDENTIAL.value}`, openRedirect: true });
  elsewhere = createServer((req, res) => {
    elsewhereSaw.push(req.headers);
    req.resume();
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end('{"error": "not a facilitator"}');
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  elsewhereUrl = `http://127.0.0.1:${String((elsewhere.address() as AddressInfo).port)}`;
});
beforeEach(() => {
  elsewhereSaw = [];
});
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
  await facilitator.stop();
  removeFacilitatorBundle();
  elsewhere.closeAllConnections();
  await new Promise((resolve) => elsewhere.close(resolve));
});

/** An engine from a runtime whose environment gives `headers` (by facilitator URL) to facilitators, for an offer naming `facilitatorUrl`. */
function engineWith(headers: Record<string, Record<string, string>> | undefined, facilitatorUrl: string): Engine {
  const runtime = createRuntime({ router: 'kong-atc', env: headers === undefined ? {} : { TOLLGATE_X402_FACILITATOR_HEADERS: JSON.stringify(headers) } });
  runtimes.push(runtime);
  const compiled = runtime.engineFor(x402Policy(facilitatorUrl));
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.engine;
}

/** The operator's headers, keyed by the facilitator's own URL. */
function keyedByFacilitator(): Record<string, Record<string, string>> {
  return { [facilitator.url]: { [CREDENTIAL.name]: CREDENTIAL.value } };
}

async function paidRequest() {
  const header = paymentHeader(await paymentPayloadV2(payer, testRequirements(), RESOURCE));
  return { header, facts: factsOf({ method: 'GET', path: '/v1/forecast', host: HOST, headers: { [header.name]: header.value } }) };
}

/** 503 payment-unavailable with a fixed error for the client (the facilitator's answer only in the log), and nothing settled. */
async function expectUnavailable(engine: Engine, logged: RegExp): Promise<Deny> {
  const { header, facts } = await paidRequest();
  const decision = await engine.decide(facts);
  assert(decision.kind === 'deny', 'expected a deny');
  expect(decision).toMatchObject({ status: 503, reason: 'payment-unavailable', headers: { 'Retry-After': '5' } });
  expect(JSON.parse(decision.body)).toMatchObject({ paymentError: 'facilitator_unavailable' });
  expect(decision.log.error).toMatch(logged);
  expect((await facilitator.settlements()).map((s) => s.nonce)).not.toContain(nonceOf(header));
  return decision;
}

describe('x402 with a facilitator that requires credentials', () => {
  it.each([
    ['its URL', () => facilitator.url],
    ['its URL with a trailing slash', () => `${facilitator.url}/`],
  ])("sends the operator's headers to the facilitator at %s: the payment is verified and settled", async (_, offered) => {
    const engine = engineWith(keyedByFacilitator(), offered());
    const { header, facts } = await paidRequest();
    const allow = await engine.decide(facts);
    assert(allow.kind === 'allow', `expected an allow, got ${JSON.stringify(allow)}`);
    expect(allow.log).toMatchObject({ paid: true, payer: payer.address });
    const completion = await engine.complete(allow.followUp ?? { id: '' }, 200);
    expect(completion.payment.kind).toBe('settled');
    expect((await facilitator.settlements()).map((s) => s.nonce)).toContain(nonceOf(header));
  });

  it("without headers, the facilitator answers 401: the payment is unavailable (503), not invalid (402), and the client does not see the facilitator's answer", async () => {
    const deny = await expectUnavailable(engineWith(undefined, facilitator.url), /\/verify: Facilitator verify failed \(401\): .*missing or wrong X-Api-Key/);
    expect(deny.body).not.toContain('401');
    expect(deny.body).not.toContain('missing or wrong');
  });

  it('does not send headers configured for another name of the same server (localhost vs 127.0.0.1)', async () => {
    const { port, hostname } = new URL(facilitator.url);
    expect(hostname).toBe('127.0.0.1');
    await expectUnavailable(engineWith({ [`http://localhost:${port}`]: { [CREDENTIAL.name]: CREDENTIAL.value } }, facilitator.url), /\(401\)/);
  });

  it.each([
    ['a query', () => `${facilitator.url}/redirect?to=${elsewhereUrl}`],
    ['a longer path', () => `${facilitator.url}/redirect/${encodeURIComponent(elsewhereUrl)}`],
  ])("does not send them to the facilitator's origin with %s, which leads through its open redirect to another server", async (_, offered) => {
    await expectUnavailable(engineWith(keyedByFacilitator(), offered()), /\(500\)/);
    // The redirect was followed (elsewhere answered the verify, and the start-up GET /supported), never with the operator's header.
    expect(elsewhereSaw.length).toBeGreaterThan(0);
    expect(elsewhereSaw.map((headers) => headers[CREDENTIAL.name.toLowerCase()]).filter((value) => value !== undefined)).toEqual([]);
  });
});
