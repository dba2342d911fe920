// Regenerates what is derived from the TypeBox source (run by `pnpm run schema`): the published
// JSON Schemas and the precompiled document validators.
import { writeFileSync } from 'node:fs';
import { policyJsonSchema, scenariosJsonSchema } from '../dist/schema/documents.js';
import { validatorSource } from '../dist/schema/validator-source.js';

const outputs = [
  [new URL('../../../schema/policy.schema.json', import.meta.url), `${JSON.stringify(policyJsonSchema(), null, 2)}\n`],
  [new URL('../../../schema/scenarios.schema.json', import.meta.url), `${JSON.stringify(scenariosJsonSchema(), null, 2)}\n`],
  [new URL('../src/generated/document-validators.ts', import.meta.url), validatorSource()],
];
for (const [target, text] of outputs) {
  writeFileSync(target, text);
  console.log(`wrote ${target.pathname}`);
}
