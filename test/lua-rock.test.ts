// The rock of the Lua plugins (packages/lua-adapters/*.rockspec), as the release workflow builds
// it: the rockspec passes `luarocks lint`, and `luarocks make --pack-binary-rock` packs the Kong and
// APISIX plugins and their sidecar client under the module names the gateways load, at the
// packages' version. Skips locally without luarocks (apt-get install luarocks); never under CI=true.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { packRock, ROCKSPEC } from '../scripts/pack.mjs';

const run = promisify(execFile);
const luarocks = spawnSync('luarocks', ['--version'], { encoding: 'utf8' }).status === 0;
const version = (JSON.parse(readFileSync(new URL('../packages/lua-adapters/package.json', import.meta.url), 'utf8')) as { version: string }).version;
const dir = mkdtempSync(join(tmpdir(), 'tollgate-rock-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!luarocks && process.env.CI !== 'true')(`the LuaRocks rock of the Lua plugins${luarocks ? '' : ' (luarocks not installed: apt-get install luarocks)'}`, () => {
  it('has a rockspec at the packages\' version, released from its tag, that luarocks lint accepts', async () => {
    expect(basename(ROCKSPEC)).toBe(`tollgate-lua-adapters-${version}-1.rockspec`);
    const rockspec = readFileSync(ROCKSPEC, 'utf8');
    expect(rockspec).toContain(`version = "${version}-1"`);
    expect(rockspec).toContain(`tag = "v${version}"`);
    await run('luarocks', ['lint', ROCKSPEC]);
  });

  it('packs the Kong and APISIX plugins and the sidecar client under their module names', async () => {
    const rock = packRock(dir);
    expect(basename(rock)).toBe(`tollgate-lua-adapters-${version}-1.all.rock`);
    const { stdout } = await run('unzip', ['-Z1', rock]);
    const lua = stdout.split('\n').filter((file) => file.endsWith('.lua')).sort();
    expect(lua).toEqual(['lua/apisix/plugins/tollgate.lua', 'lua/kong/plugins/tollgate-lua/handler.lua', 'lua/kong/plugins/tollgate-lua/schema.lua', 'lua/tollgate/observe.lua', 'lua/tollgate/sidecar_channel.lua', 'lua/tollgate/sidecar_client.lua']);
  });
});
