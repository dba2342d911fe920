// Golden files: every example compiled for every target variant, byte for byte. Regenerate with
// UPDATE_GOLDEN=1 npx vitest run test/compile-golden.test.ts, then review the diff.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compile, formatExplanations } from '../packages/compiler/src/index.js';
import { examples, loadFolder, REPO, VARIANTS } from '../packages/compiler/src/test-support/projects.js';

const GOLDEN = join(REPO, 'test/golden');
const update = process.env.UPDATE_GOLDEN === '1';

function golden(path: string, actual: string): void {
  if (update) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  expect(existsSync(path), `${path} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe.each(VARIANTS)('$name', (variant) => {
  test.each(examples())('$name', (example) => {
    const result = compile(loadFolder(example.dir), variant.target, variant.options);
    const dir = join(GOLDEN, variant.name, example.name);
    if (!result.ok) {
      golden(join(dir, 'diagnostics.json'), `${JSON.stringify(result.diagnostics, null, 2)}\n`);
      return;
    }
    for (const file of result.files) golden(join(dir, file.name), file.text);
    golden(join(dir, 'explain.txt'), formatExplanations(`${variant.name}: ${example.name}`, result.explanations));
  });
});

test('compiling twice gives the same bytes', () => {
  for (const example of examples()) {
    for (const variant of VARIANTS) {
      const first = compile(loadFolder(example.dir), variant.target, variant.options);
      const second = compile(loadFolder(example.dir), variant.target, variant.options);
      expect(second).toEqual(first);
    }
  }
});
