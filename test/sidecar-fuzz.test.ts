// Bounded fuzzing of the real sidecar process: random bytes, truncated frames, oversized lengths,
// unknown frame types, JSON that is not an object, members of the wrong type or range (request
// bodies and observed responses included), mutated valid frames and abrupt disconnects. The sidecar must never exit, must answer every complete
// frame (ERROR, then close, for anything that fails its checks; a decision for anything valid),
// and must keep serving a well-behaved adapter connection throughout.
// Reproduce a run with SIDECAR_FUZZ_SEED=<seed>.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../packages/apisix-runner/src/index.js';
import { FrameType } from '../packages/sidecar/src/index.js';
import { mulberry32 } from './support/seeded-random.js';
import { removeSidecarBundle, SidecarClient, startSidecar, type SidecarProcess } from './support/sidecar.js';

const SEED = Number(process.env.SIDECAR_FUZZ_SEED ?? 0x51de_ca55);
const MAX_FRAME = 65_536;
const CASES = Number(process.env.SIDECAR_FUZZ_CASES ?? 4_000);
const CONNECTIONS = 8;

const random = mulberry32(SEED);
const int = (n: number) => Math.floor(random() * n);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

const POLICY = JSON.stringify({
  version: 1,
  policy: 'fuzz',
  routes: [{ name: 'r', paths: ['/r'] }],
  identity: { auth: 'none', limitBy: 'header', header: 'X-Key' },
  plans: [{ name: 'free', plan: { rateLimit: { second: 1_000_000 } } }],
  defaultPlan: 'free',
  consumerPlans: {},
  costs: {},
  store: { kind: 'memory' },
  rewrite: { request: { headers: { set: { 'X-Who': '{{header.x-key}}' } }, query: { remove: ['debug'] } } },
});

let dir: string;
let socketPath: string;
let sidecar: SidecarProcess;
let token = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sidecar-fuzz-'));
  chmodSync(dir, 0o755);
  socketPath = join(dir, 'sidecar.sock');
  sidecar = await startSidecar(socketPath, { TOLLGATE_MAX_FRAME_BYTES: String(MAX_FRAME), TOLLGATE_LOG_LEVEL: 'error' });
  const client = await SidecarClient.connect(socketPath);
  const answer = await client.call(FrameType.Register, { policy: POLICY, gateway: 'kong' });
  client.close();
  token = Number(answer?.body.token);
});
afterAll(async () => {
  expect(await sidecar.stop()).toBe(0);
  rmSync(dir, { recursive: true, force: true });
  removeSidecarBundle();
});

function validDecide(): Record<string, unknown> {
  const body = pick([{}, { b: '{"max_tokens":16}' }, { b: bytes(int(64)).toString('latin1'), bt: true }, { bt: true }]);
  // i: the request number a pipelining adapter adds (its answer must carry it back).
  const id = pick([{}, { i: 1 + int(0x7f_ff_ff_ff) }]);
  // d: when the adapter stops waiting, past or to come (this policy fails open: decided either way).
  const deadline = pick([{}, { d: Date.now() - 60_000 + int(120_000) }]);
  return { t: token, m: pick(['GET', 'POST']), p: pick(['/r', `/x/${bytes(3).toString('hex')}`]), q: `a=${int(9)}&debug`, h: { host: 'api', 'x-key': bytes(2).toString('hex') }, ip: `10.0.0.${int(256)}`, ...body, ...id, ...deadline };
}

type Expectation = 'error' | 'decision' | 'unknown-token' | 'error-or-completed';

/** One complete frame and what its answer must be. */
function framedCase(): { frame: Buffer; expect: Expectation } {
  const body = validDecide();
  switch (int(8)) {
    case 0:
      return { frame: encodeFrame(pick([0, 4, 0x81, 0x90, 5 + int(200)]), Buffer.from(JSON.stringify(body))), expect: 'error' };
    case 1:
      return { frame: encodeFrame(pick([1, 2, 3]), bytes(int(64))), expect: 'error' };
    case 2:
      return { frame: encodeFrame(FrameType.Decide, Buffer.from(pick(['[]', 'null', '"x"', '7', '{"t":', '']))), expect: 'error' };
    case 3: {
      const member = pick(['t', 'm', 'p', 'q', 'h', 'ip', 'c', 'cr', 's', 'b', 'bt', 'i', 'd']);
      const wrong = pick<unknown>([7, -1, 1.5, true, [], { a: 1 }, 'x', { h: [1] }, 2 ** 40]);
      const mutated = { ...body, [member]: wrong };
      // Strings where strings belong, an empty header list (cjson's empty table) and a consumer
      // object without known members are fine; anything else is not.
      const plainObject = typeof wrong === 'object' && wrong !== null && !Array.isArray(wrong);
      // The body cut flag (bt) is a boolean.
      const stillValid =
        (typeof wrong === 'string' && member !== 't' && member !== 'h' && member !== 'c' && member !== 'bt' && member !== 'i' && member !== 'd') ||
        (member === 'i' && wrong === 7) ||
        (member === 'd' && (wrong === 7 || wrong === 2 ** 40)) ||
        (member === 'h' && Array.isArray(wrong)) ||
        (member === 'c' && plainObject) ||
        (member === 't' && wrong === 7) ||
        (member === 'bt' && wrong === true);
      return { frame: encodeFrame(FrameType.Decide, Buffer.from(JSON.stringify(mutated))), expect: stillValid ? (member === 't' ? 'unknown-token' : 'decision') : 'error' };
    }
    case 4:
      return { frame: encodeFrame(FrameType.Decide, Buffer.from(JSON.stringify({ ...body, t: token + 1 + int(1000) }))), expect: 'unknown-token' };
    case 5: {
      // What the adapter observed of the response: a header, a body copy ({h, t, n}), its type; sometimes malformed.
      const observed = pick<Record<string, unknown>>([
        {},
        { h: pick(['42', '', 7, ['1']]) },
        { ct: pick(['text/event-stream', null, false]) },
        { b: pick<unknown>([{ h: 'abc', t: '', n: 3 }, { h: 'a', t: 'b', n: 70_000 }, { h: 'abc', t: 'x', n: 3 }, { h: 'abc', n: -1 }, { h: 1, t: '', n: 1 }, 'body', [], null]) },
      ]);
      const complete = { t: token, f: pick(['', 'x', bytes(8).toString('base64')]), st: pick([200, 500, 1000, -3, 'ok']), ...observed };
      return { frame: encodeFrame(FrameType.Complete, Buffer.from(JSON.stringify(complete))), expect: 'error-or-completed' };
    }
    case 6:
      return { frame: encodeFrame(FrameType.Register, Buffer.from(JSON.stringify({ policy: pick(['{}', 'not json', POLICY.slice(0, int(POLICY.length))]), gateway: pick(['kong', 'apisix', 'envoy']) }))), expect: 'error' };
    default:
      return { frame: encodeFrame(FrameType.Decide, Buffer.from(JSON.stringify(body))), expect: 'decision' };
  }
}

async function runCase(): Promise<void> {
  const client = await SidecarClient.connect(socketPath);
  try {
    const shape = int(10);
    if (shape === 0) {
      // An announced length beyond the bound: rejected on the header alone.
      const head = Buffer.from([FrameType.Decide, 0, 0, 0]);
      head.writeUIntBE(MAX_FRAME + 1 + int(1000), 1, 3);
      client.sendRaw(head);
      const answer = await client.next();
      expect(answer?.type).toBe(FrameType.Error);
      return;
    }
    if (shape === 1) {
      // A truncated frame, then the adapter goes away.
      const { frame } = framedCase();
      client.sendRaw(frame.subarray(0, int(frame.length)));
      return;
    }
    const { frame, expect: expected } = framedCase();
    // Split anywhere: frames are reassembled from any chunking.
    const cut = int(frame.length + 1);
    client.sendRaw(frame.subarray(0, cut));
    if (cut < frame.length) client.sendRaw(frame.subarray(cut));
    const answer = await client.next();
    if (expected === 'decision') expect([FrameType.Continue, FrameType.Exit]).toContain(answer?.type);
    else if (expected === 'unknown-token') expect(answer?.type).toBe(FrameType.UnknownToken);
    else if (expected === 'error') expect(answer?.type).toBe(FrameType.Error);
    else expect([FrameType.Error, FrameType.Completed]).toContain(answer?.type);
  } finally {
    client.close();
  }
}

describe('sidecar frame fuzzing', () => {
  it(`answers ${CASES} hostile cases and keeps serving (seed ${SEED})`, async () => {
    const steady = await SidecarClient.connect(socketPath);
    let done = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (done < CASES) {
          done += 1;
          await runCase();
          if (done % 500 === 0) {
            const request = validDecide();
            const answer = await steady.call(FrameType.Decide, request);
            expect(answer?.type).toBe(FrameType.Continue);
            expect(answer?.body.i).toBe(request.i);
          }
        }
      }),
    );
    const answer = await steady.call(FrameType.Decide, { ...validDecide(), p: '/r', q: 'debug&x=1', h: { 'x-key': 'k' } });
    expect(answer?.type).toBe(FrameType.Continue);
    expect(answer?.body).toMatchObject({ uh: { 'X-Who': 'k' }, q: 'x=1' });
    steady.close();
    expect(sidecar.child.exitCode).toBeNull();
  }, 120_000);
});
