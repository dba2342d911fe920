// Packs the release artifacts into one folder, as the release workflow ships them: an npm tarball
// per publishable package of the workspace (`pnpm pack` rewrites `workspace:` and `catalog:` ranges
// into the versions they stand for; `npm pack` would leave them in the manifest) and the LuaRocks
// rock of the Lua plugins. Run after `pnpm run build`: the tarballs hold each package's dist/.
// `node scripts/pack.mjs [destination]` (default out/packages; the rock needs luarocks).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The pnpm running this script (`pnpm run …`), else the version the repository pins, through npx. */
function pnpm() {
  const running = process.env.npm_execpath;
  if (running !== undefined && basename(running).startsWith('pnpm')) return [process.execPath, [running]];
  const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return ['npx', ['-y', packageManager]];
}

/** @param {string} destination @returns {string[]} the tarballs' paths */
export function packArtifacts(destination) {
  mkdirSync(destination, { recursive: true });
  const [command, args] = pnpm();
  // -r packs every workspace package that is not private (the root is).
  execFileSync(command, [...args, '-r', '--reporter=silent', 'pack', '--pack-destination', destination], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return readdirSync(destination).filter((file) => file.endsWith('.tgz')).sort().map((file) => join(destination, file));
}

const { version } = JSON.parse(readFileSync(join(root, 'packages/lua-adapters/package.json'), 'utf8'));
/** The rockspec of the Lua plugins, at the lua-adapters package's version (revision 1). */
export const ROCKSPEC = join(root, `packages/lua-adapters/tollgate-lua-adapters-${version}-1.rockspec`);

/** Builds the rock from this checkout (`luarocks make --pack-binary-rock`) into `destination`. */
export function packRock(destination) {
  mkdirSync(destination, { recursive: true });
  // The rockspec's module paths are relative to the repository root, its source when fetched by tag.
  const scratch = mkdtempSync(join(tmpdir(), 'tollgate-luarocks-'));
  let output;
  try {
    output = execFileSync('luarocks', ['make', '--pack-binary-rock', '--tree', scratch, ROCKSPEC], { cwd: root, encoding: 'utf8' });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const packed = /^Packed: (.+\.rock)$/m.exec(output)?.[1];
  if (packed === undefined) throw new Error(`luarocks make packed no rock:\n${output}`);
  const rock = join(destination, basename(packed));
  renameSync(packed, rock);
  return rock;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const destination = resolve(process.argv[2] ?? join(root, 'out/packages'));
  for (const artifact of [...packArtifacts(destination), packRock(destination)]) console.log(artifact);
}
