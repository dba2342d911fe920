// End to end on a real APISIX: compose/apisix (APISIX 3.x with the runner inside, Redis, an echo
// upstream) started with testcontainers, requests sent over HTTP. Needs a Docker engine; without
// one the suite is skipped and says why.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerComposeEnvironment, getContainerRuntimeClient, Wait, type StartedDockerComposeEnvironment } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const composeDir = fileURLToPath(new URL('../compose/apisix/', import.meta.url));
const docker = await getContainerRuntimeClient().then(
  () => ({ ok: true as const }),
  (error: unknown) => ({ ok: false as const, reason: error instanceof Error ? error.message : String(error) }),
);

if (!docker.ok) {
  describe('APISIX end to end (compose/apisix)', () => {
    it.skip(`SKIPPED: no Docker engine available (${docker.reason})`, () => undefined);
  });
} else {
  describe('APISIX end to end (compose/apisix)', () => {
    let environment: StartedDockerComposeEnvironment;
    let base: string;

    beforeAll(async () => {
      environment = await new DockerComposeEnvironment(join(composeDir, '..', '..'), join('compose', 'apisix', 'docker-compose.yml'))
        .withBuild()
        .withWaitStrategy('apisix-1', Wait.forLogMessage(/listening on unix:/))
        .up();
      const apisix = environment.getContainer('apisix-1');
      base = `http://${apisix.getHost()}:${apisix.getMappedPort(9080)}`;
    }, 600_000);
    afterAll(async () => {
      await environment.down();
    });

    it('answers 401 without a key (key-auth) and proxies a known consumer with the rewrite applied', async () => {
      expect((await fetch(`${base}/echo`)).status).toBe(401);
      const response = await fetch(`${base}/echo`, { headers: { apikey: 'alice-key', cookie: 'a=b' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-policy')).toBeTruthy();
      const echoed = (await response.json()) as { headers: Record<string, string> };
      expect(echoed.headers['x-plan']).toBe('pro');
      expect(echoed.headers.cookie).toBeUndefined();
    });

    it('answers 402 for a route outside the plan and 429 once the free window is used', async () => {
      const premium = await fetch(`${base}/premium`, { headers: { apikey: 'bob-key' } });
      expect(premium.status).toBe(402);
      expect(premium.headers.get('content-type')).toContain('application/problem+json');
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await fetch(`${base}/echo`, { headers: { apikey: 'bob-key' } })).status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    });
  });
}
