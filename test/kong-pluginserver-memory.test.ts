// What a loaded plugin server holds: each of the three Tollgate plugins in the real
// kong-js-pluginserver, started as docs/kong.md says (with pluginserver/without-typescript.cjs, so
// kong-pdk's ts-node and the TypeScript compiler stay out), after discovery, StartInstance and a
// few decisions. Linux only: read from /proc/<pid>/status. Measured on the development machine
// (Node 20.20, kong-pdk 0.6.0), loaded: kong-pdk's plain command 128 MB resident, 85 MB of it
// private (RssAnon; 150 / 105 MB idle, before its first collection); with the preload 81 / 39 MB.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineConfig } from '../packages/engine/src/index.js';
import { PLUGIN_NAMES, TOLLGATE, type PluginName } from '../packages/kong-plugin/src/plugin-info.js';
import { weatherConfig } from './support/apisix-configs.js';
import { authenticated, startTollgateKong, type TollgateKong } from './support/kong-plugin.js';

/** The figures docs/kong.md states, with room for the noise of a shared machine. */
const MAX_RESIDENT_MB = 110;
const MAX_PRIVATE_MB = 60;

const POLICY: EngineConfig = weatherConfig({ consumerPlans: { carol: 'pro' } });
const REQUESTS = 30;

interface Memory {
  readonly residentMb: number;
  readonly privateMb: number;
}

function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { residentMb: kb('VmRSS') / 1024, privateMb: kb('RssAnon') / 1024 };
}

async function loadedServerMemory(t: TollgateKong): Promise<Memory> {
  const row = t.row(POLICY);
  for (let i = 0; i < REQUESTS; i++) {
    const response = await t.kong.request(authenticated({ method: 'GET', path: '/v1/forecast' }, i % 2 === 0 ? 'alice' : 'carol'), row, { worker: i });
    expect([200, 429]).toContain(response.status);
  }
  await t.kong.settled();
  const pid = t.kong.server.pid;
  if (pid === undefined) throw new Error('plugin server not running');
  return memoryOf(pid);
}

const started: TollgateKong[] = [];
async function start(plugin: PluginName, withTypeScript = false): Promise<TollgateKong> {
  const t = await startTollgateKong({ plugin, workers: 2, withTypeScript });
  started.push(t);
  return t;
}
afterAll(async () => {
  await Promise.all(started.map((t) => t.close()));
});

describe.runIf(process.platform === 'linux')('plugin server memory', () => {
  it.each(PLUGIN_NAMES)('%s, started without TypeScript, stays under the stated figures once loaded', async (plugin) => {
    const memory = await loadedServerMemory(await start(plugin));
    console.log(`${plugin}: ${memory.residentMb.toFixed(1)} MB resident, ${memory.privateMb.toFixed(1)} MB private`);
    expect(memory.residentMb).toBeLessThan(MAX_RESIDENT_MB);
    expect(memory.privateMb).toBeLessThan(MAX_PRIVATE_MB);
  });

  it("kong-pdk's plain command, which loads ts-node and TypeScript, measures over them", async () => {
    const memory = await loadedServerMemory(await start(TOLLGATE, true));
    console.log(`tollgate with TypeScript: ${memory.residentMb.toFixed(1)} MB resident, ${memory.privateMb.toFixed(1)} MB private`);
    expect(memory.privateMb).toBeGreaterThan(MAX_PRIVATE_MB);
  });
});
