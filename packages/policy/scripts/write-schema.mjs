// Regenerates what is derived from the TypeBox source (run by `pnpm run schema`): the published
// JSON Schema and the precompiled document validators.
import { writeFileSync } from 'node:fs';
import { policyJsonSchema } from '../dist/schema/policy-schema.js';
import { validatorSource } from '../dist/schema/validator-source.js';

const outputs = [
  [new URL('../../../schema/policy.schema.json', import.meta.url), `${JSON.stringify(policyJsonSchema(), null, 2)}\n`],
  [new URL('../src/generated/document-validators.ts', import.meta.url), validatorSource()],
];
for (const [target, text] of outputs) {
  writeFileSync(target, text);
  console.log(`wrote ${target.pathname}`);
}
