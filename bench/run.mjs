// `pnpm bench`: runs every bench/*.bench.mjs in its own process, one after another (the machine
// is small and shared: parallel benchmarks would measure each other). Each script writes its own
// bench/results/<name>.json holding its numbers and the baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const script of scripts) {
  console.log(`\n── ${script}`);
  const run = spawnSync(process.execPath, ['--expose-gc', `${dir}${script}`], { stdio: 'inherit' });
  if (run.status !== 0) failed += 1;
}
console.log(`\n${scripts.length - failed} benchmarks ran, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
