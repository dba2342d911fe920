// Bundles the sidecar into one executable file: dist/tollgate-sidecar.js (next to the tsc output).
// Tests call bundleSidecar() to build a fresh copy from source into a temporary folder.
import { build } from 'esbuild';
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * @param {string} outfile
 * @returns {Promise<string>}
 */
export async function bundleSidecar(outfile) {
  await build({
    entryPoints: [`${packageDir}src/main.ts`],
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
  });
  await chmod(outfile, 0o755);
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await bundleSidecar(`${packageDir}dist/tollgate-sidecar.js`);
  console.log(`bundled ${out}`);
}
