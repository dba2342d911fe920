// End to end against real Kong 3.9: builds compose/kong/Dockerfile, starts it DB-less next to an
// echo upstream, and sends every conformance vector that needs no shared-store access through
// Kong's proxy port (key-auth in front, behind it the Tollgate plugin the compiler assigns the
// vector's policy, the plugin server's clock pinned through the test-only clock file). Needs a
// Docker engine; skipped, visibly, without one.
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenericContainer, getContainerRuntimeClient, Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { parseEngineConfig, TEST_CLOCK_ENV, type EngineConfig } from '../packages/engine/src/index.js';
import { pluginNameFor } from '../packages/kong-plugin/src/plugin-info.js';
import { compareResponse, loadVectors, type ObservedResponse, type Vector, type VectorRequest } from './support/vectors.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLOCK_FILE = '/tmp/tollgate-clock';
const dockerReason = await getContainerRuntimeClient().then(
  () => undefined,
  (error: unknown) => `no Docker engine (${error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error)})`,
);

// Same selection as the harness test: nothing that must reach the plugin server's store, and no
// credential vectors (real Kong names credentials by UUID).
const runnable = loadVectors().filter(
  (v) =>
    Object.keys(v.accounts).length === 0 &&
    v.steps.every((s) => s.op === undefined && s.state === undefined && s.request?.credential === undefined) &&
    !v.storeUnreachable &&
    parseEngineConfig(v.config).ok,
);

describe.skipIf(dockerReason !== undefined)(dockerReason === undefined ? 'Kong 3.9 end to end' : `Kong 3.9 end to end — SKIPPED: ${dockerReason}`, () => {
  let network: StartedNetwork;
  let echo: StartedTestContainer;
  let kong: StartedTestContainer;

  beforeAll(async () => {
    network = await new Network().start();
    echo = await new GenericContainer('mendhak/http-https-echo:35').withNetwork(network).withNetworkAliases('echo').withEnvironment({ HTTP_PORT: '8080' }).start();
    const image = await GenericContainer.fromDockerfile(REPO, 'compose/kong/Dockerfile').build('tollgate-kong-e2e', { deleteOnExit: false });
    kong = await image
      .withNetwork(network)
      .withEnvironment({
        KONG_DATABASE: 'off',
        KONG_ADMIN_LISTEN: '0.0.0.0:8001',
        KONG_LOG_LEVEL: 'info',
        // Vectors name their client IPs: take them from X-Forwarded-For.
        KONG_TRUSTED_IPS: '0.0.0.0/0,::/0',
        KONG_REAL_IP_HEADER: 'X-Forwarded-For',
        KONG_NGINX_MAIN_ENV: `TOLLGATE_REDIS_URL; env ${TEST_CLOCK_ENV}`,
        [TEST_CLOCK_ENV]: CLOCK_FILE,
      })
      .withExposedPorts(8000, 8001)
      .withWaitStrategy(Wait.forHttp('/status', 8001))
      .withStartupTimeout(120_000)
      .start();
  }, 900_000);

  afterAll(async () => {
    await kong.stop();
    await echo.stop();
    await network.stop();
  });

  it.each(runnable.map((v) => [v.file, v] as const))('%s', async (_file, vector) => {
    await clockAt(vector.start);
    await loadConfig(vector);
    let now = vector.start;
    for (const step of vector.steps) {
      now += step.advance;
      await clockAt(now);
      const request = step.request;
      if (request === undefined) throw new Error(`${step.where}: not a request step`);
      for (let n = 1; n <= step.repeat; n++) {
        const observed = await send(request, step.upstreamStatus);
        expect(compareResponse(step.expect, observed), `${step.where} (${n}/${step.repeat})`).toEqual([]);
      }
    }
  });

  async function clockAt(epochMs: number): Promise<void> {
    await kong.copyContentToContainer([{ content: String(epochMs), target: CLOCK_FILE }]);
  }

  // DB-less: the whole configuration replaced through POST /config, as deck gateway sync does.
  async function loadConfig(vector: Vector): Promise<void> {
    const config: EngineConfig = vector.config;
    const consumers = [...new Set(vector.steps.flatMap((s) => (s.request?.consumer === undefined ? [] : [s.request.consumer])))];
    const plugins: object[] = [{ name: pluginNameFor(config), config: { policy: JSON.stringify(config) } }];
    if (config.identity.auth === 'key-auth') plugins.unshift({ name: 'key-auth', config: { key_names: ['apikey'] } });
    const declarative = {
      _format_version: '3.0',
      services: [
        {
          name: 'vectors',
          url: 'http://echo:8080',
          routes: config.routes.map((route) => ({ name: route.name, paths: route.paths ?? ['/'], ...(route.methods ? { methods: route.methods } : {}), strip_path: false })),
          plugins,
        },
      ],
      consumers: consumers.map((username) => ({ username, keyauth_credentials: [{ key: keyOf(username) }] })),
    };
    const response = await call(kong.getMappedPort(8001), 'POST', '/config', { 'content-type': 'application/json' }, JSON.stringify(declarative));
    expect(response.status, response.body).toBe(201);
  }

  async function send(request: VectorRequest, upstreamStatus: number): Promise<ObservedResponse> {
    const headers: Record<string, string> = { ...request.headers, 'x-forwarded-for': request.ip ?? '203.0.113.7' };
    if (request.host !== undefined) headers.host = request.host;
    if (request.requestId !== undefined) headers['x-request-id'] = request.requestId;
    if (request.consumer !== undefined) headers.apikey = keyOf(request.consumer);
    if (upstreamStatus !== 200) headers['x-set-response-status-code'] = String(upstreamStatus);
    const query = new URLSearchParams(request.query ?? {}).toString();
    const response = await call(kong.getMappedPort(8000), request.method, `${request.path}${query === '' ? '' : `?${query}`}`, headers);
    if (response.headers.via === undefined || response.status === 401) return response;
    const echoed = JSON.parse(response.body) as { path: string; query: Record<string, string>; headers: Record<string, string> };
    return { ...response, upstream: { path: echoed.path, query: echoed.query, headers: echoed.headers } };
  }
});

function keyOf(username: string): string {
  return `key-${Buffer.from(username).toString('hex')}`;
}

function call(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<ObservedResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const flat = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
        resolve({ status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
