// The Kong JavaScript plugin on metered routes, through the Kong harness and the real
// kong-js-pluginserver: request bodies are read only as get_raw_body can return them (a body Kong
// wrote to a temp file above the bound would come back nil, which Kong's bridge cannot pack: the
// request would fail with a 500), a route metered by its body completes in the buffered response
// phase with the captured body, and the plugin refuses an entry whose plugin lacks the phase its
// routes need.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METERED_BODY_NEEDS_RESPONSE_PHASE, METERED_NEEDS_LOG_PHASE } from '../packages/kong-plugin/src/index.js';
import { pluginNameFor, TOLLGATE, TOLLGATE_CHARGE_ON_SUCCESS, TOLLGATE_X402 } from '../packages/kong-plugin/src/plugin-info.js';
import { startTollgateKong, type TollgateKong } from './support/kong-plugin.js';
import { meteredRoutesConfig } from './support/metered-routes.js';

const CONFIG = meteredRoutesConfig('kong-metered', 1_000_000, { kind: 'memory', onFailure: 'closed' });

describe('which plugin an entry needs', () => {
  it.each([
    ['chat', TOLLGATE_X402],
    ['search', TOLLGATE_CHARGE_ON_SUCCESS],
    ['status', TOLLGATE],
    [undefined, TOLLGATE_X402],
  ] as const)('route %s: %s', (route, plugin) => {
    expect(pluginNameFor(CONFIG, route)).toBe(plugin);
  });
});

describe('kong-js-pluginserver', () => {
  let x402: TollgateKong;
  let logPhase: TollgateKong;
  beforeAll(async () => {
    [x402, logPhase] = await Promise.all([startTollgateKong({ plugin: TOLLGATE_X402, workers: 1 }), startTollgateKong({ plugin: TOLLGATE_CHARGE_ON_SUCCESS, workers: 1 })]);
  });
  afterAll(async () => {
    await Promise.all([x402.close(), logPhase.close()]);
  });

  const post = (body: string) => ({ method: 'POST', path: '/chat', headers: { 'Content-Length': String(Buffer.byteLength(body)), 'Content-Type': 'application/json' }, body });

  it.each([
    ['in nginx\'s buffer', 100, true],
    ['in a temp file within the bound', 20_000, true],
    ['in a temp file above the bound', 2_000_000, false],
  ])('a request body %s: read only when get_raw_body can return it, never failing the request', async (_where, size, read) => {
    const body = JSON.stringify({ max_tokens: 4, pad: 'x'.repeat(Math.max(0, size - 30)) });
    const row = x402.row(CONFIG, { route: 'chat' }, { id: `chat-${String(size)}`, routeId: 'kong-route-chat' });
    const usage = JSON.stringify({ usage: { prompt_tokens: 2, completion_tokens: 3 } });
    const response = await x402.kong.request(post(body), row, { upstream: () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: usage }) });
    await response.log;
    expect(response.access.result.kind).toBe('ret');
    expect(response.status).toBe(200);
    expect(response.body).toBe(usage);
    expect(response.access.pdkCalls.includes('kong.request.get_raw_body')).toBe(read);
    // Completed in the response phase, with the body it captured.
    expect(response.response?.pdkCalls).toEqual(expect.arrayContaining(['kong.service.response.get_raw_body']));
  });

  it.each([
    ['a route metered by its body on the log-phase plugin', 'chat', METERED_BODY_NEEDS_RESPONSE_PHASE],
    ['an entry that may serve such a route', undefined, METERED_BODY_NEEDS_RESPONSE_PHASE],
  ] as const)('refuses %s', async (_name, route, problem) => {
    const row = logPhase.row(CONFIG, { route: route ?? null }, { id: `refused-${route ?? 'service'}` });
    const response = await logPhase.kong.request({ method: 'POST', path: '/chat' }, row);
    expect(response.status).toBe(500);
    expect(response.access.result).toMatchObject({ kind: 'start-failed', message: expect.stringContaining(problem) as unknown });
  });

  it('runs a route metered by a header on the log-phase plugin, not on the access-only one', () => {
    expect(METERED_NEEDS_LOG_PHASE).toMatch(/tollgate-charge-on-success/);
    expect(pluginNameFor(CONFIG, 'search')).toBe(TOLLGATE_CHARGE_ON_SUCCESS);
  });
});
