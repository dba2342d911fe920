// Regenerates src/generated/ from proto/ext-plugin.fbs with flatc (Debian `flatbuffers-compiler`).
// flatc 2.0.8 writes extension-less relative imports, which NodeNext ESM rejects, so every relative
// specifier gets a `.js` suffix. `--check` regenerates into a temporary folder and fails when the
// committed bindings differ, so CI catches a schema edit without regenerated code.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const schema = join(packageDir, 'proto', 'ext-plugin.fbs');
const target = join(packageDir, 'src', 'generated');
const check = process.argv.includes('--check');

/** @param {string} dir */
function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** @param {string} outDir */
function generate(outDir) {
  const run = spawnSync('flatc', ['--ts', '-o', outDir, schema], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new Error(`flatc failed (install the Debian package flatbuffers-compiler): ${run.error?.message ?? run.stderr}`);
  }
  for (const file of listFiles(outDir)) {
    const path = join(outDir, file);
    const source = readFileSync(path, 'utf8');
    writeFileSync(path, source.replace(/from '(\.{1,2}\/[^']+)'/g, "from '$1.js'"));
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'a6-bindings-'));
try {
  generate(scratch);
  if (check) {
    const fresh = listFiles(scratch);
    const committed = listFiles(target);
    const differing = [...new Set([...fresh, ...committed])].filter((file) => {
      try {
        return readFileSync(join(scratch, file), 'utf8') !== readFileSync(join(target, file), 'utf8');
      } catch {
        return true;
      }
    });
    if (differing.length > 0) {
      console.error(`src/generated is stale; run the generate script. Differing: ${differing.join(', ')}`);
      process.exitCode = 1;
    }
  } else {
    rmSync(target, { recursive: true, force: true });
    cpSync(scratch, target, { recursive: true });
    console.log(`wrote ${listFiles(target).length} files to ${relative(process.cwd(), target) || target}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
