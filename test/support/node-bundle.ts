// Bundles a TypeScript entry of this repository into one ESM file for a plain `node` process
// (esbuild): how tests start helper processes without loading TypeScript in each of them.
import { build, type Plugin } from 'esbuild';

export async function bundleForNode(entry: string, outfile: string, plugins: readonly Plugin[] = []): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // Some dependencies are CommonJS that `require` Node built-ins.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    plugins: [...plugins],
  });
}
