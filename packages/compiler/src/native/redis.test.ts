import { describe, expect, test } from 'vitest';
import { describeRedis, gatewayRedis, isHostName, verifiesCertificate } from './redis.js';

describe('gatewayRedis', () => {
  test('one server gets Tollgate\'s defaults; TLS verification and SNI stay the gateway\'s', () => {
    expect(gatewayRedis({ host: 'redis.internal' })).toEqual({ kind: 'server', host: 'redis.internal', port: 6379, database: 0, ssl: false });
  });

  test('a cluster is named after its lowest seed node, whatever the order', () => {
    const names = [['b:2', 'a:1', 'c:3'], ['c:3', 'b:2', 'a:1']].map((nodes) => gatewayRedis({ cluster: { nodes } }));
    expect(names.map((r) => r?.kind === 'cluster' && r.name)).toEqual(['a:1', 'a:1']);
  });

  test('a named cluster keeps its name and the shared settings', () => {
    expect(gatewayRedis({ cluster: { nodes: ['a:1'], name: 'limits' }, password: { env: 'P' }, ssl: true, sslVerify: true })).toEqual({
      kind: 'cluster',
      nodes: ['a:1'],
      name: 'limits',
      password: { env: 'P' },
      ssl: true,
      sslVerify: true,
    });
  });

  test('neither host nor cluster names nothing; both (which lint refuses) take the cluster', () => {
    expect(gatewayRedis({ password: { env: 'P' } })).toBeUndefined();
    expect(gatewayRedis({ host: 'h1', cluster: { nodes: ['a:1'] } })?.kind).toBe('cluster');
  });
});

test('describeRedis names the server or the seed nodes', () => {
  expect(describeRedis({ kind: 'server', host: 'h', port: 6380, database: 0, ssl: false })).toBe('redis at h:6380');
  expect(describeRedis({ kind: 'cluster', nodes: ['a:1', 'b:2'], name: 'a:1', ssl: false })).toBe('redis cluster at a:1, b:2');
});

test('isHostName tells a name a certificate can hold from an address', () => {
  expect(['redis.internal', 'r1', 'cache-7f3a.redis.example.net', '10-0-0-7.redis.internal'].map(isHostName)).toEqual([true, true, true, true]);
  expect(['10.20.0.15', '127.0.0.1', '10.20'].map(isHostName)).toEqual([false, false, false]);
});

test('verifiesCertificate needs TLS and sslVerify true, not the gateway default', () => {
  const server = { kind: 'server', host: 'h', port: 6379, database: 0 } as const;
  expect(verifiesCertificate({ ...server, ssl: true, sslVerify: true })).toBe(true);
  expect([{ ...server, ssl: true }, { ...server, ssl: true, sslVerify: false }, { ...server, ssl: false, sslVerify: true }].map(verifiesCertificate)).toEqual([false, false, false]);
});
