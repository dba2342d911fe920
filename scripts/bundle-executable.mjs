// Bundles a package's process entry into one executable ES module file (next to the tsc output),
// as `ext-plugin.cmd` and the Lua adapters' operators run it with `node`. Each package's `bundle`
// script calls this with its entry and output: `node ../../scripts/bundle-executable.mjs <entry> <outfile>`.
// Tests call bundleExecutable() to build a fresh copy from source into a temporary folder.
import { build } from 'esbuild';
import { chmod } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @param {string} entry the TypeScript entry, e.g. `packages/sidecar/src/main.ts`
 * @param {string} outfile
 * @param {import('esbuild').BuildOptions} [options] esbuild options that replace these defaults
 * @returns {Promise<string>} the outfile
 */
export async function bundleExecutable(entry, outfile, options = {}) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Workspace packages resolve to their TypeScript sources; nothing needs a prior tsc build.
    conditions: ['source'],
    // CommonJS dependencies (ioredis) call require() inside an ES module bundle.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __tollgateRequire } from 'node:module';\nconst require = __tollgateRequire(import.meta.url);" },
    sourcemap: 'linked',
    logLevel: 'warning',
    ...options,
  });
  await chmod(outfile, 0o755);
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [entry, outfile] = process.argv.slice(2);
  if (entry === undefined || outfile === undefined) {
    console.error('usage: node scripts/bundle-executable.mjs <entry.ts> <outfile.js>');
    process.exit(2);
  }
  const out = await bundleExecutable(resolve(entry), resolve(outfile));
  console.log(`bundled ${out}`);
}
