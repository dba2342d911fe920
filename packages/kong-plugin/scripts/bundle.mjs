// Bundles the plugin into one self-contained CommonJS file that kong-js-pluginserver can
// require(): dist/kong/tollgate/tollgate.js. The plugin directory must hold nothing but plugin
// modules (kong-pdk requires every file in it), so the CommonJS marker package.json sits one
// level up, where Node still finds it as the file's nearest package.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Bundles into `<outDir>/tollgate/tollgate.js` and returns that plugin directory. */
export async function bundlePlugin(outDir = `${root}dist/kong`) {
  mkdirSync(`${outDir}/tollgate`, { recursive: true });
  writeFileSync(`${outDir}/package.json`, `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  await build({
    entryPoints: [`${root}src/index.ts`],
    outfile: `${outDir}/tollgate/tollgate.js`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    conditions: ['source'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  return `${outDir}/tollgate`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundlePlugin();
