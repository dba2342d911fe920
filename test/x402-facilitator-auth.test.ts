// Credentials for a hosted facilitator, end to end: TOLLGATE_X402_FACILITATOR_HEADERS in the
// runtime's environment, the engine it hands out, and the local facilitator process requiring
// `Authorization: Bearer …` on /verify and /settle (401 otherwise, as hosted facilitators answer).
// The headers go only to the origin they are configured for; a facilitator refusing the
// operator's credentials makes the payment unverifiable (503), not the payer's fault (402).
import { afterAll, assert, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Engine, type Runtime } from '../packages/engine/src/index.js';
import { factsOf } from './support/vectors.js';
import { paymentHeader, paymentPayloadV2, testPayer, testRequirements } from './support/x402-client.js';
import { removeFacilitatorBundle, startFacilitatorProcess, type FacilitatorProcess } from './support/x402-facilitator-process.js';
import { nonceOf, x402Policy } from './support/x402-policy.js';

const HOST = 'api.example.com';
const RESOURCE = `http://${HOST}/v1/forecast`;
const CREDENTIAL = { name: 'Authorization', value: 'Bearer t0ken' };
const payer = testPayer();

let facilitator: FacilitatorProcess;
const runtimes: Runtime[] = [];
beforeAll(async () => {
  facilitator = await startFacilitatorProcess({ requireHeader: `${CREDENTIAL.name}: ${CREDENTIAL.value}` });
});
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
  await facilitator.stop();
  removeFacilitatorBundle();
});

/** An engine from a runtime whose environment gives `headers` (by origin) to facilitators, for an offer naming `facilitatorUrl`. */
function engineWith(headers: Record<string, Record<string, string>> | undefined, facilitatorUrl: string): Engine {
  const runtime = createRuntime({ env: headers === undefined ? {} : { TOLLGATE_X402_FACILITATOR_HEADERS: JSON.stringify(headers) } });
  runtimes.push(runtime);
  const compiled = runtime.engineFor(x402Policy(facilitatorUrl));
  if (!compiled.ok) throw new Error(compiled.errors.join('; '));
  return compiled.engine;
}

async function paidRequest() {
  const header = paymentHeader(await paymentPayloadV2(payer, testRequirements(), RESOURCE));
  return { header, facts: factsOf({ method: 'GET', path: '/v1/forecast', host: HOST, headers: { [header.name]: header.value } }) };
}

/** 503 payment-unavailable because the facilitator answered 401, and nothing settled. */
async function expectRefusedCredentials(engine: Engine): Promise<void> {
  const { header, facts } = await paidRequest();
  const decision = await engine.decide(facts);
  assert(decision.kind === 'deny', 'expected a deny');
  expect(decision).toMatchObject({ status: 503, reason: 'payment-unavailable', headers: { 'Retry-After': '5' } });
  expect(JSON.parse(decision.body).paymentError).toMatch(/verify failed \(401\)/);
  expect((await facilitator.settlements()).map((s) => s.nonce)).not.toContain(nonceOf(header));
}

describe('x402 with a facilitator that requires credentials', () => {
  it("sends the operator's headers to the facilitator's origin: the payment is verified and settled", async () => {
    const engine = engineWith({ [new URL(facilitator.url).origin]: { [CREDENTIAL.name]: CREDENTIAL.value } }, facilitator.url);
    const { header, facts } = await paidRequest();
    const allow = await engine.decide(facts);
    assert(allow.kind === 'allow', `expected an allow, got ${JSON.stringify(allow)}`);
    expect(allow.log).toMatchObject({ paid: true, payer: payer.address });
    const completion = await engine.complete(allow.followUp ?? { id: '' }, 200);
    expect(completion.payment.kind).toBe('settled');
    expect((await facilitator.settlements()).map((s) => s.nonce)).toContain(nonceOf(header));
  });

  it('without headers, the facilitator answers 401 and the payment is unavailable (503), not invalid (402)', async () => {
    await expectRefusedCredentials(engineWith(undefined, facilitator.url));
  });

  it('does not send headers configured for another origin of the same server (localhost vs 127.0.0.1)', async () => {
    const { port, hostname } = new URL(facilitator.url);
    expect(hostname).toBe('127.0.0.1');
    await expectRefusedCredentials(engineWith({ [`http://localhost:${port}`]: { [CREDENTIAL.name]: CREDENTIAL.value } }, facilitator.url));
  });
});
