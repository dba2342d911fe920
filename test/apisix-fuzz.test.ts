// Bounded fuzzing of the real runner process (> 100k cases): random bytes, truncated frames,
// wrong types, oversized lengths, corrupted FlatBuffers, unknown tokens and abrupt disconnects.
// The runner must never exit, must answer every complete frame (an error where the protocol
// allows one), and must keep serving a well-behaved APISIX connection throughout.
// Reproduce a run with APISIX_FUZZ_SEED=<seed>.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApisixSide, apisixCodec, ipBytes } from './support/apisix-side/index.js';
import { encodeFrame, FrameReader, HEADER_BYTES, type Frame } from '../packages/apisix-runner/src/index.js';
import { ErrorCode, RpcType } from '../packages/apisix-runner/src/protocol/rpc.js';
import { tollgateRoute, weatherConfig } from './support/apisix-configs.js';
import { removeRunnerBundle, startRunner, type RunnerProcess } from './support/apisix-runner.js';
import { mulberry32 } from './support/seeded-random.js';

const SEED = Number(process.env.APISIX_FUZZ_SEED ?? 0x7011_6a7e);
const MAX_FRAME = 65_536;
const FRAMED_CASES = Number(process.env.APISIX_FUZZ_FRAMED ?? 96_000);
const STREAM_CASES = Number(process.env.APISIX_FUZZ_STREAM ?? 6_000);
const CONNECTIONS = 8;

const random = mulberry32(SEED);
const int = (n: number) => Math.floor(random() * n);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

let dir: string;
let runner: RunnerProcess;
let socketPath: string;
// IP-identified policy: its calls need no ExtraInfo, so frames can be pipelined on a connection.
// Asks APISIX for nothing (no consumer, no query rewrite: $upstream_uri), so pipelined cases get answers.
const ipRoute = tollgateRoute('ip', weatherConfig({ identity: { auth: 'none', limitBy: 'ip' }, plans: [{ name: 'free', plan: { rateLimit: { second: 1_000_000 } } }], consumerPlans: {}, rewrite: { request: { headers: { set: { 'X-Plan': '{{plan}}' }, remove: ['Cookie'] } } } }));
const keyRoute = tollgateRoute('key', weatherConfig());
let ipToken = 0;
let keyToken = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'apisix-fuzz-'));
  socketPath = join(dir, 'runner.sock');
  runner = await startRunner({ socketPath, env: { TOLLGATE_MAX_FRAME_BYTES: String(MAX_FRAME), TOLLGATE_LOG_LEVEL: 'error' } });
  ipToken = await prepare(ipRoute.conf, 'route#ip#ext-plugin-pre-req#1');
  keyToken = await prepare(keyRoute.conf, 'route#key#ext-plugin-pre-req#1');
});
afterAll(async () => {
  expect(await runner.stop()).toBe(0);
  rmSync(dir, { recursive: true, force: true });
  removeRunnerBundle();
});

function validCall(token: number): Buffer {
  return apisixCodec.encodeHttpReqCallRequest({
    id: int(1 << 22),
    srcIp: ipBytes(`10.0.${int(256)}.${int(256)}`),
    method: 'GET',
    path: random() < 0.5 ? '/v1/forecast' : `/v1/${bytes(4).toString('hex')}`,
    args: [{ name: 'a', value: bytes(3).toString('hex') }, { name: 'flag' }],
    headers: [{ name: 'host', value: 'api.example' }, { name: 'x-r', value: bytes(2).toString('hex') }],
    confToken: token,
  });
}

type Expectation = 'bad-request' | 'token-not-found' | 'error-or-same-type';

/** One complete frame that leaves the stream in sync, and what its answer must be. */
function framedCase(): { frame: Buffer; expect: Expectation; type: number } {
  const kind = int(5);
  if (kind === 0) {
    // A complete frame of a type APISIX never sends outside a call.
    const types = [RpcType.Error, RpcType.ExtraInfo, 5 + int(251)];
    const type = types[int(types.length)] ?? 9;
    return { frame: encodeFrame(type, bytes(int(40))), expect: 'bad-request', type };
  }
  if (kind === 1) {
    // Garbage payload under a request type.
    const type = [RpcType.PrepareConf, RpcType.HttpReqCall, RpcType.HttpRespCall][int(3)] ?? 2;
    return { frame: encodeFrame(type, bytes(int(64))), expect: 'error-or-same-type', type };
  }
  if (kind === 2) {
    // A valid call with one corrupted payload byte (or several).
    const frame = validCall(ipToken);
    for (let i = 0, n = 1 + int(3); i < n; i++) frame[HEADER_BYTES + int(frame.length - HEADER_BYTES)] = int(256);
    return { frame, expect: 'error-or-same-type', type: RpcType.HttpReqCall };
  }
  if (kind === 3) {
    const token = 1000 + int(1_000_000);
    return { frame: validCall(token), expect: 'token-not-found', type: RpcType.HttpReqCall };
  }
  // A valid call or PrepareConf in between keeps the real paths under the same load.
  return random() < 0.5
    ? { frame: validCall(ipToken), expect: 'error-or-same-type', type: RpcType.HttpReqCall }
    : { frame: apisixCodec.encodePrepareConfRequest({ conf: ipRoute.conf, key: `k${int(50)}` }), expect: 'error-or-same-type', type: RpcType.PrepareConf };
}

function errorCode(frame: Frame): number | undefined {
  if (frame.type !== RpcType.Error) return undefined;
  const decoded = apisixCodec.decodeErrorCode(frame.payload);
  return decoded.ok ? decoded.value : -1;
}

function check(expectation: Expectation, type: number, answer: Frame): string | undefined {
  const code = errorCode(answer);
  if (expectation === 'bad-request') return code === ErrorCode.BadRequest ? undefined : `type ${type}: expected BAD_REQUEST, got type ${answer.type} code ${code}`;
  if (expectation === 'token-not-found') return code === ErrorCode.ConfTokenNotFound ? undefined : `expected CONF_TOKEN_NOT_FOUND, got type ${answer.type} code ${code}`;
  return answer.type === type || (code !== undefined && code >= 0) ? undefined : `type ${type}: got type ${answer.type}`;
}

/** Sends `frames` pipelined on one connection and collects exactly one answer per frame. */
function exchange(frames: Buffer[]): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const reader = new FrameReader();
    const answers: Frame[] = [];
    const socket = createConnection(socketPath, () => socket.write(Buffer.concat(frames)));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`only ${answers.length} of ${frames.length} answers within 30 s`));
    }, 30_000);
    socket.on('data', (chunk: Buffer) => {
      answers.push(...reader.push(chunk));
      if (answers.length >= frames.length) {
        clearTimeout(timer);
        socket.end();
        resolve(answers);
      }
    });
    socket.on('error', reject);
    // The runner hangs up after a protocol violation (a corrupted call that happened to carry the
    // key-auth token makes it ask for ExtraInfo, and the next pipelined frame is no answer).
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answers);
    });
  });
}

async function prepare(conf: { name: string; value: string }[], key: string): Promise<number> {
  const [answer] = await exchange([apisixCodec.encodePrepareConfRequest({ conf, key })]);
  const token = answer?.type === RpcType.PrepareConf ? apisixCodec.decodePrepareConfResponse(answer.payload) : undefined;
  if (token?.ok !== true) throw new Error(`PrepareConf failed: ${runner.output()}`);
  return token.value;
}

/** A case that breaks the stream; the runner must simply survive it. */
function streamCase(): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = createConnection(socketPath);
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.on('error', done);
    socket.on('close', done);
    // Read (and drop) whatever the runner answers, so its hang-up is seen.
    socket.resume();
    socket.on('connect', () => {
      const kind = int(5);
      if (kind === 0) socket.end(bytes(1 + int(64)));
      else if (kind === 1) socket.end(validCall(ipToken).subarray(0, 1 + int(30)));
      else if (kind === 2) {
        // Oversized length: the runner answers BAD_REQUEST and hangs up.
        const header = Buffer.from([RpcType.HttpReqCall, 0, 0, 0]);
        header.writeUIntBE(MAX_FRAME + 1 + int(0xff_ff_ff - MAX_FRAME), 1, 3);
        socket.write(header);
        socket.once('data', done);
      } else if (kind === 3) {
        // Disconnect in the middle of a call that is waiting for an ExtraInfo answer.
        socket.write(validCall(keyToken));
        socket.once('data', done);
      } else {
        socket.write(validCall(ipToken).subarray(0, 10));
        setImmediate(done);
      }
    });
  });
}

describe(`runner fuzzing (seed ${SEED})`, () => {
  it(`answers ${FRAMED_CASES} framed cases and survives ${STREAM_CASES} stream-breaking cases while serving APISIX`, { timeout: 300_000 }, async () => {
    const apisix = new ApisixSide({ socketPath, readTimeoutMs: 10_000 });
    let healthy = 0;
    const problems: string[] = [];
    let answered = 0;
    const run = { stopped: false };
    // A well-behaved APISIX worker keeps sending real requests during the whole run.
    const background = (async () => {
      while (!run.stopped) {
        const outcome = await apisix.request(ipRoute, { method: 'GET', uri: '/v1/forecast', srcIp: '192.0.2.1' });
        if (outcome.kind === 'proxied') healthy += 1;
        else if (problems.push(`APISIX request failed during fuzzing: ${JSON.stringify(outcome)}`) > 20) break;
        // One request at a time, yielding so the fuzz cases get the event loop too.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    const perBatch = 2_000;
    for (let done = 0; done < FRAMED_CASES; done += perBatch * CONNECTIONS) {
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          const cases = Array.from({ length: perBatch }, framedCase);
          const answers = await exchange(cases.map((c) => c.frame));
          answered += Math.min(answers.length, cases.length);
          const hungUp = answers.length < cases.length;
          answers.forEach((answer, i) => {
            const c = cases[i];
            if (c === undefined) return;
            // A call may legitimately ask for ExtraInfo; the violation reply that follows is BAD_REQUEST.
            const problem = answer.type === RpcType.ExtraInfo || (hungUp && i === answers.length - 1 && errorCode(answer) === ErrorCode.BadRequest) ? undefined : check(c.expect, c.type, answer);
            if (problem !== undefined && problems.length < 20) problems.push(problem);
          });
          if (hungUp && answers.at(-1)?.type !== RpcType.Error) problems.push(`runner closed a connection after ${answers.length} of ${cases.length} answers without an error reply`);
        }),
      );
    }
    for (let done = 0; done < STREAM_CASES; done += 100) {
      await Promise.all(Array.from({ length: 100 }, streamCase));
      expect(runner.child.exitCode).toBeNull();
    }
    run.stopped = true;
    await background;
    apisix.close();

    expect(problems).toEqual([]);
    expect(answered + STREAM_CASES).toBeGreaterThanOrEqual(100_000);
    expect(runner.child.exitCode).toBeNull();
    expect(healthy).toBeGreaterThan(0);
    // The runner still prepares and decides normally afterwards.
    const after = new ApisixSide({ socketPath });
    expect(await after.request(ipRoute, { method: 'GET', uri: '/v1/forecast' })).toMatchObject({ kind: 'proxied', attempts: 1 });
    after.close();
    expect(runner.output()).not.toMatch(/unhandled|TypeError|RangeError/);
  });
});
