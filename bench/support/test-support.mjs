// The benchmarks drive the gateways' side of each wire through the test harnesses
// (test/support/kong-harness, test/support/apisix-side), which are TypeScript that vitest loads
// directly. Here esbuild bundles one into a temporary ES module, which is imported and removed.
// import.meta.url stays the entry's own URL, so the harness finds the packages beside it (the
// Kong plugin's kong-pdk and preload) as it does under vitest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleExecutable } from '../../scripts/bundle-executable.mjs';

/** @param {string} entry a module under test/support, e.g. `kong-harness/index.ts` */
export async function importTestSupport(entry) {
  const source = fileURLToPath(new URL(`../../test/support/${entry}`, import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-support-'));
  const outfile = join(dir, 'support.mjs');
  try {
    await bundleExecutable(source, outfile, { define: { 'import.meta.url': JSON.stringify(pathToFileURL(source).href) } });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
