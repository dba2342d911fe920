// The Lua adapters on a metered route, in Debian's nginx + lua-nginx-module with a real upstream:
// the request body reaches the sidecar bounded (from nginx's memory buffer or its temp file) and
// the upstream still gets all of it; the cost header reaches the sidecar and never the client; a
// streamed response reaches the client chunk by chunk, unchanged, while the adapter keeps only a
// bounded copy (the engine's RESPONSE_CAPTURE, compared byte for byte with captureBody). The
// sidecar is scripted here (its answers carry Allow.observe whatever the policy); the engine side
// of the same frames is in packages/sidecar/src/protocol/wire.test.ts.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureBody, REQUEST_BODY_LIMIT, RESPONSE_CAPTURE } from '../packages/engine/src/index.js';
import { luaSkipReason, startNginx, type Gateway, type LuaNginx } from './support/lua-nginx.js';
import { scriptedPolicy, startScriptedSidecar, type ScriptedSidecar } from './support/scripted-sidecar.js';
import { mulberry32 } from './support/seeded-random.js';

const luaSkip = luaSkipReason();

const OBSERVE = { f: 'follow-up-1', o: { h: 'x-cost-units', b: true } };

/** A deterministic body of `n` bytes, not all ASCII letters, so that a shifted copy shows. */
const pattern = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => 33 + ((i * 7 + (i >> 9)) % 90)));

let dir: string;
let upstream: Server;
let upstreamPort = 0;
/** Request bodies the upstream received, by path. */
const received = new Map<string, Buffer>();
/** Resolves the stream route's wait for the client's first chunk. */
let clientSawFirstChunk: () => void = () => undefined;
let lastChunkSentAt = 0;

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://upstream');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  received.set(url.pathname, Buffer.concat(chunks));
  if (url.pathname === '/stream') {
    // SSE as LLM APIs send it (X-Accel-Buffering: no, so nginx passes each chunk on at once).
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-cost-units': '42', 'x-accel-buffering': 'no' });
    res.write('data: {"n":1}\n\n');
    const seen = new Promise<void>((resolve) => (clientSawFirstChunk = resolve));
    await Promise.race([seen, new Promise((resolve) => setTimeout(resolve, 3_000))]);
    for (let i = 2; i <= 5; i++) res.write(`data: {"n":${String(i)}}\n\n`);
    lastChunkSentAt = performance.now();
    res.end('data: [DONE]\n\n');
    return;
  }
  const size = Number(url.searchParams.get('size') ?? '0');
  const body = pattern(size);
  res.writeHead(200, { 'content-type': 'application/json', 'x-cost-units': '7' });
  // Uneven chunks, some far larger than the capture's tail.
  for (let at = 0, step = 1000; at < size; at += step, step = (step * 3) % 70_001 + 1) res.write(body.subarray(at, at + step));
  res.end();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lua-observe-'));
  chmodSync(dir, 0o755);
  upstream = createServer((req, res) => { void serve(req, res); });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => { resolve(); }));
  const address = upstream.address();
  upstreamPort = typeof address === 'object' && address !== null ? address.port : 0;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => { resolve(); }));
  rmSync(dir, { recursive: true, force: true });
});

interface Streamed {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly firstChunkAt: number;
}

function fetchStreamed(port: number, method: string, path: string, body?: Buffer): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent: false, headers: body === undefined ? {} : { 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      let firstChunkAt = 0;
      res.on('data', (chunk: Buffer) => {
        if (chunks.length === 0) {
          firstChunkAt = performance.now();
          clientSawFirstChunk();
        }
        chunks.push(chunk);
      });
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), firstChunkAt }); });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.skipIf(luaSkip !== undefined)('Lua adapters on a metered route', () => {
  it('hard-code the engine\'s bounds', () => {
    const observe = readFileSync(new URL('../packages/lua-adapters/tollgate/observe.lua', import.meta.url), 'utf8');
    expect(observe).toContain(`REQUEST_BODY_LIMIT = ${String(REQUEST_BODY_LIMIT)},`);
    expect(observe).toContain(`CAPTURE_HEAD = ${String(RESPONSE_CAPTURE.head)},`);
    expect(observe).toContain(`CAPTURE_TAIL = ${String(RESPONSE_CAPTURE.tail)},`);
  });

  // The capture alone under plain Lua 5.1, fed chunks of every size from 1 byte to more than the tail.
  it.skipIf(spawnSync('lua5.1', ['-v']).status !== 0)('copies any chunking of a body as captureBody does (lua5.1)', () => {
    const random = mulberry32(0x0b5e);
    const run = `package.path = "${new URL('../packages/lua-adapters/', import.meta.url).pathname}?.lua;" .. package.path
      local observe = require("tollgate.observe")
      local body = io.read("*a")
      local capture, at = observe.new_capture(), 1
      for n in os.getenv("CHUNKS"):gmatch("%d+") do observe.add(capture, body:sub(at, at + tonumber(n) - 1)); at = at + tonumber(n) end
      local r = observe.result(capture)
      io.write(r.n, "\\n", #r.h, "\\n", r.h, r.t)`;
    const randomSizes = (total: number): number[] => {
      const sizes: number[] = [];
      for (let left = total; left > 0; left -= sizes.at(-1) ?? 0) sizes.push(Math.min(left, 1 + Math.floor(random() < 0.05 ? random() * 80_000 : random() * 3_000)));
      return sizes;
    };
    const evenSizes = (total: number, n: number): number[] => Array.from({ length: Math.ceil(total / n) }, (_, i) => Math.min(n, total - i * n));
    const chunkings = [0, 5, 65_536, 65_537, 70_000, 300_000].flatMap((total) => [randomSizes(total), evenSizes(total, 1000), evenSizes(total, 7)]);
    for (const sizes of chunkings) {
      const total = sizes.reduce((sum, n) => sum + n, 0);
      const body = pattern(total);
      const out = spawnSync('lua5.1', ['-e', run], { input: body, maxBuffer: 1 << 22, env: { ...process.env, CHUNKS: sizes.join(' ') } });
      expect(out.stderr.toString()).toBe('');
      const [size = '', headLength = ''] = out.stdout.toString('latin1').split('\n', 2);
      const rest = out.stdout.subarray(size.length + headLength.length + 2);
      const expected = captureBody(body);
      expect(Number(size)).toBe(expected.size);
      expect(rest.subarray(0, Number(headLength)).toString()).toBe(expected.head);
      expect(rest.subarray(Number(headLength)).toString()).toBe(expected.tail);
    }
  });

  describe.each<Gateway>(['kong', 'apisix'])('%s', (gateway) => {
    let sidecar: ScriptedSidecar;
    let nginx: LuaNginx;

    beforeAll(async () => {
      const socket = join(dir, `${gateway}.sock`);
      sidecar = await startScriptedSidecar(socket, { body: true }, OBSERVE);
      nginx = await startNginx({ dir: join(dir, gateway), gateway, conf: { policy: scriptedPolicy('observe'), socket }, upstreamPort, extraHttp: 'client_max_body_size 4m;' });
    });
    afterAll(async () => {
      await nginx.stop();
      await sidecar.close();
    });

    it('streams an SSE response chunk by chunk, without the cost header, and reports the header and a copy', async () => {
      const seen = sidecar.completes.length;
      const reply = await fetchStreamed(nginx.port, 'GET', '/stream');
      expect(reply.status).toBe(200);
      // The client had the first event before the upstream sent the last one: nothing held it back.
      expect(reply.firstChunkAt).toBeLessThan(lastChunkSentAt);
      expect(reply.headers['x-cost-units']).toBeUndefined();
      const events = 'data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\ndata: {"n":4}\n\ndata: {"n":5}\n\ndata: [DONE]\n\n';
      expect(reply.body.toString()).toBe(events);
      const complete = await sidecar.complete(seen);
      expect(complete).toMatchObject({ f: 'follow-up-1', st: 200, h: '42', ct: 'text/event-stream', b: { h: events, t: '', n: events.length } });
    });

    it.each([0, 1_000, RESPONSE_CAPTURE.head + RESPONSE_CAPTURE.tail, RESPONSE_CAPTURE.head + RESPONSE_CAPTURE.tail + 1, 200_000, 1_500_000])(
      'passes a %i-byte body through unchanged and keeps its first and last bytes as captureBody does',
      async (size) => {
        const seen = sidecar.completes.length;
        const reply = await fetchStreamed(nginx.port, 'GET', `/body?size=${String(size)}`);
        expect(reply.body.equals(pattern(size))).toBe(true);
        const { head, tail, size: n } = captureBody(pattern(size));
        expect((await sidecar.complete(seen)).b).toEqual({ h: head, t: tail, n });
      },
    );

    it.each([
      ['in nginx\'s memory buffer', 300, false],
      ['in nginx\'s temp file', 200_000, false],
      ['longer than the limit', REQUEST_BODY_LIMIT + 5_000, true],
    ])('sends a request body %s to the sidecar, bounded, and all of it upstream', async (_where, size, truncated) => {
      const seen = sidecar.decides.length;
      const body = pattern(size);
      const path = `/upload-${String(size)}`;
      const reply = await fetchStreamed(nginx.port, 'POST', path, body);
      expect(reply.status).toBe(200);
      expect(received.get(path)?.equals(body)).toBe(true);
      const decide = sidecar.decides[seen] as { b?: string; bt?: boolean };
      expect(decide.b).toBe(body.subarray(0, Math.min(size, REQUEST_BODY_LIMIT)).toString());
      expect(decide.bt).toBe(truncated ? true : undefined);
    });

    it('sends an empty body for a request without one', async () => {
      const seen = sidecar.decides.length;
      await fetchStreamed(nginx.port, 'GET', '/body?size=10');
      expect(sidecar.decides[seen]).toMatchObject({ b: '' });
      expect(sidecar.decides[seen]).not.toHaveProperty('bt');
    });
  });
});
