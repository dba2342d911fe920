import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { policyJsonSchema, scenariosJsonSchema } from './documents.js';
import { validatorSource } from './validator-source.js';

const published = (file: string): unknown => JSON.parse(readFileSync(new URL(`../../../../schema/${file}`, import.meta.url), 'utf8'));

describe.each([
  ['policy.schema.json', policyJsonSchema],
  ['scenarios.schema.json', scenariosJsonSchema],
])('published JSON Schema %s', (file, generate) => {
  it('matches the TypeBox source (run `pnpm run schema` after changing the language)', () => {
    expect(published(file)).toEqual(generate());
  });

  it('compiles under draft 2020-12 in strict mode', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    expect(() => ajv.compile(generate())).not.toThrow();
  });
});

describe('precompiled document validators', () => {
  it('match the TypeBox source (run `pnpm run schema` after changing the language)', () => {
    const committed = readFileSync(new URL('../generated/document-validators.ts', import.meta.url), 'utf8');
    expect(committed === validatorSource(), 'src/generated/document-validators.ts is stale: run pnpm run schema').toBe(true);
  });
});
