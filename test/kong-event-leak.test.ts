// kong-pdk 0.6.0 keeps one Server#events entry per event that ends in an exit (Kong sends no Step
// after it). Driven in a separate Node process exactly as the plugin server drives it, with and
// without the Tollgate bundle loaded next to the exiting plugin.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePlugin } from '../packages/kong-plugin/scripts/bundle.mjs';
import { PLUGIN_SERVER_BIN, writeFixturePlugin } from './support/kong-harness/index.js';

const EXITS = 1000;
const SERVER_JS = join(dirname(dirname(PLUGIN_SERVER_BIN)), 'server.js');

// Runs EXITS access events of the paywall fixture (get_header → exit) and a no-PDK-call event per
// request, then prints how many events the server still holds.
const DRIVER = `
const Server = require(process.argv[1]);
const quiet = { debug() {}, info() {}, warn(m) { process.stderr.write(m + '\\n'); }, error() {} };
(async () => {
  const server = new Server(process.argv[2], quiet);
  server.close();
  const { Id } = await server.StartInstance({ Name: 'paywall', Config: '{}' });
  for (let i = 0; i < ${EXITS}; i++) {
    const first = await server.HandleEvent({ InstanceId: Id, EventName: 'access' });
    const exit = await server.Step({ EventId: first.EventId });
    if (exit.Data.Method !== 'kong.response.exit') throw new Error('expected an exit');
  }
  process.stdout.write(JSON.stringify({ events: server.events.size }));
})();
`;

async function eventsLeftAfterExits(pluginsDir: string): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', DRIVER, SERVER_JS, pluginsDir], { encoding: 'utf8' });
  return (JSON.parse(stdout) as { events: number }).events;
}

let bare: string;
let withTollgate: string;
let bundleDir: string;
beforeAll(async () => {
  bare = writeFixturePlugin('paywall');
  withTollgate = writeFixturePlugin('paywall');
  bundleDir = mkdtempSync(join(tmpdir(), 'tollgate-kong-bundle-'));
  copyFileSync(join(await bundlePlugin(bundleDir), 'tollgate.js'), join(withTollgate, 'tollgate.js'));
});
afterAll(() => {
  for (const dir of [bare, withTollgate, bundleDir]) rmSync(dir, { recursive: true, force: true });
});

describe('kong-pdk event entries after exits', () => {
  it(`unpatched kong-pdk 0.6.0 keeps all ${EXITS}`, async () => {
    expect(await eventsLeftAfterExits(bare)).toBe(EXITS);
  });

  it('with the Tollgate module loaded, none is left', async () => {
    expect(await eventsLeftAfterExits(withTollgate)).toBe(0);
  });
});
