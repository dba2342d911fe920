// What the gateway around each Lua adapter does, as the shims in test/lua/ stand in for it: the
// expected values are those real Kong 3.9.1 and APISIX 3.18.0 gave for the same requests in the
// same nginx. The request target the upstream receives (Kong's router normalizes and re-escapes
// the path and keeps an empty `?`; APISIX forwards the client's target as sent, or nginx's
// normalized URI re-escaped once the query was rewritten), Kong's exit framing, which response
// header counts as the cost header, and the 100-header cap on what the adapter reads. The upstream
// is a bare TCP server: it records the request line's target byte for byte (node's HTTP parser
// refuses raw UTF-8 in a target).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameType } from '../packages/sidecar/src/index.js';
import { luaSkipReason, send, startNginx, type Gateway, type LuaNginx } from './support/lua-nginx.js';
import { scriptedPolicy, startScriptedSidecar, type ScriptedSidecar } from './support/scripted-sidecar.js';

const luaSkip = luaSkipReason();


/** The sidecar's answer, by the first segment of the path the adapter reported. */
function answer(decide: Record<string, unknown>): { type: number; body: Record<string, unknown> } {
  const first = String(decide.p).split('/')[1];
  if (first === 'exit') return { type: FrameType.Exit, body: { s: 403, b: 'denied', h: { 'Content-Type': 'text/plain', 'X-Empty': '', 'Transfer-Encoding': 'chunked' } } };
  if (first === 'query') return { type: FrameType.Continue, body: { q: 'x=2' } };
  if (first === 'header') return { type: FrameType.Continue, body: { uh: { 'X-Empty-Up': '' } } };
  if (first === 'path') return { type: FrameType.Continue, body: { p: '/new%2Fpath' } };
  if (first === 'observe') return { type: FrameType.Continue, body: { f: 'follow-up', o: { h: 'x-cost-units' } } };
  return { type: FrameType.Continue, body: {} };
}

/** A plugin earlier in the chain that sets the cost header on the response itself. */
const PLUGIN_SETS_COST = 'if ngx.var.uri == "/observe/plugin" then ngx.header["x-cost-units"] = "9" end';

let dir: string;
let upstream: Server;
let upstreamPort = 0;
/** The request targets the upstream received, in order, and the last request's header block. */
const targets: string[] = [];
let lastHead = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lua-gateway-'));
  chmodSync(dir, 0o755);
  upstream = createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Requests without bodies, one after another on nginx's keepalive connection.
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        lastHead = pending.subarray(0, end).toString('latin1');
        const target = lastHead.split(' ')[1] ?? '';
        pending = pending.subarray(end + 4);
        targets.push(target);
        const cost = target.startsWith('/observe/upstream') ? 'X-Cost-Units: 7\r\n' : '';
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\n${cost}\r\nok`);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => { resolve(); }));
  const address = upstream.address();
  upstreamPort = typeof address === 'object' && address !== null ? address.port : 0;
});
afterAll(async () => {
  await new Promise<void>((resolve) => upstream.close(() => { resolve(); }));
  rmSync(dir, { recursive: true, force: true });
});

// [what the client sends, what Kong's upstream receives, what APISIX's upstream receives]
const TARGETS: readonly (readonly [string, string, string])[] = [
  ['/r/a%2Fb', '/r/a%2Fb', '/r/a%2Fb'],
  ['/r/a%20b', '/r/a%20b', '/r/a%20b'],
  ['/r/a/./b/../c', '/r/a/c', '/r/a/./b/../c'],
  ['/r/a//b', '/r/a/b', '/r/a//b'],
  ['/r/a/%2e%2e/b', '/r/b', '/r/a/%2e%2e/b'],
  ['/r/caf%c3%a9', '/r/caf%C3%A9', '/r/caf%c3%a9'],
  ['/r/a%7eb%41', '/r/a~bA', '/r/a%7eb%41'],
  ['/r/a?', '/r/a?', '/r/a?'],
  ['/r/a/b/', '/r/a/b/', '/r/a/b/'],
  ['/r/a?x=1&y=%20', '/r/a?x=1&y=%20', '/r/a?x=1&y=%20'],
  // The decision rewrites the query (x=2): APISIX's nginx then escapes its normalized URI again.
  ['/query/a%2Fb?x=1', '/query/a%2Fb?x=2', '/query/a/b?x=2'],
  ['/query/a/./b/../c', '/query/a/c?x=2', '/query/a/c?x=2'],
  ['/query/caf%c3%a9', '/query/caf%C3%A9?x=2', '/query/caf%C3%A9?x=2'],
  // The decision rewrites the path (already escaped): the client's query follows it.
  ['/path/a?x=1', '/new%2Fpath?x=1', '/new%2Fpath?x=1'],
  ['/path/a?', '/new%2Fpath?', '/new%2Fpath'],
];

describe.skipIf(luaSkip !== undefined).each<Gateway>(['kong', 'apisix'])('around the %s Lua adapter', (gateway) => {
  let sidecar: ScriptedSidecar;
  let nginx: LuaNginx;

  beforeAll(async () => {
    const socket = join(dir, `${gateway}.sock`);
    sidecar = await startScriptedSidecar(socket, { headers: ['x-early', 'x-late'] }, answer);
    nginx = await startNginx({ dir: join(dir, gateway), gateway, conf: { policy: scriptedPolicy('gateway'), socket }, upstreamPort, before: PLUGIN_SETS_COST });
  });
  afterAll(async () => {
    await nginx.stop();
    await sidecar.close();
  });

  it.each(TARGETS)('%s reaches the upstream as the gateway sends it', async (sent, kong, apisix) => {
    const seen = targets.length;
    const reply = await send(nginx.port, 'GET', sent);
    expect(reply.status).toBe(200);
    expect(targets.slice(seen)).toEqual([gateway === 'kong' ? kong : apisix]);
  });

  // Kong's kong.response.exit sets Content-Length, sends an empty header value as " " and ignores
  // a Transfer-Encoding (kong/pdk/response.lua); APISIX's core.response.exit prints the body
  // (chunked, no Content-Length) and ngx.header drops an empty value.
  it('answers an exit with its status and body, framed as the gateway frames it', async () => {
    const reply = await send(nginx.port, 'GET', '/exit');
    expect(reply.status).toBe(403);
    expect(reply.body).toBe('denied');
    if (gateway === 'kong') {
      expect(reply.headers['content-length']).toBe('6');
      expect(reply.headers).not.toHaveProperty('transfer-encoding');
      expect(reply.headers).toHaveProperty('x-empty');
    } else {
      expect(reply.headers).not.toHaveProperty('content-length');
      expect(reply.headers).not.toHaveProperty('x-empty');
    }
  });

  it('reports the upstream\'s cost header, never shown to the client', async () => {
    const seen = sidecar.completes.length;
    const reply = await send(nginx.port, 'GET', '/observe/upstream');
    expect(reply.headers).not.toHaveProperty('x-cost-units');
    expect((await sidecar.complete(seen)).h).toBe('7');
  });

  // Kong's kong.service.response.get_header would return it (a lower-case name is looked up among
  // the response's headers first): both adapters read $upstream_http_* instead.
  it('never counts a cost header an earlier plugin set', async () => {
    const seen = sidecar.completes.length;
    const reply = await send(nginx.port, 'GET', '/observe/plugin');
    expect(reply.headers).not.toHaveProperty('x-cost-units');
    expect((await sidecar.complete(seen)).h).toBeUndefined();
  });

  // Kong's service.request.set_header sends an empty value as " " (kong/pdk/private/checks.lua);
  // APISIX's core.request.set_header hands it to ngx.req.set_header, which drops it.
  it('forwards a header the decision set empty on Kong only', async () => {
    await send(nginx.port, 'GET', '/header');
    expect(/^x-empty-up:/im.test(lastHead)).toBe(gateway === 'kong');
  });

  it('reads the first 100 request headers only', async () => {
    const seen = sidecar.decides.length;
    const filler = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-filler-${String(i)}`, 'f']));
    await send(nginx.port, 'GET', '/headers', { 'x-early': 'e', ...filler, 'x-late': 'l' });
    expect(sidecar.decides[seen]).toMatchObject({ h: { 'x-early': 'e' } });
    expect(sidecar.decides[seen]?.h).not.toHaveProperty('x-late');
  });
});
