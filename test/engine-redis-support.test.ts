// The Redis test support itself: real processes start, stop, come back on the same port, and a
// three-master cluster forms.
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_CLI, RedisCluster, RedisServer, redisSkipReason } from './support/redis.js';

const skip = redisSkipReason();
if (skip !== undefined) console.warn(skip);

function cli(port: number, ...args: string[]): string {
  return spawnSync(REDIS_CLI, ['-p', String(port), ...args], { encoding: 'utf8', timeout: 5_000 }).stdout.trim();
}

describe.skipIf(skip !== undefined)('test/support/redis', () => {
  const started: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.close()));
  });

  it('starts a standalone server, stops it and brings it back on the same port', async () => {
    const server = await RedisServer.start();
    started.push(server);
    expect(cli(server.port, 'ping')).toBe('PONG');
    await server.stop();
    expect(server.running).toBe(false);
    expect(cli(server.port, 'ping')).not.toBe('PONG');
    await server.resume();
    expect(cli(server.port, 'ping')).toBe('PONG');
  });

  it('forms a three-master cluster', async () => {
    const cluster = await RedisCluster.start();
    started.push(cluster);
    const first = cluster.nodes[0]!;
    expect(cli(first.port, 'cluster', 'info')).toContain('cluster_known_nodes:3');
    expect(cluster.nodeList.split(',')).toHaveLength(3);
  });
});
