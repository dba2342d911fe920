// Regenerates the published JSON Schema from the TypeBox source (run by `pnpm run schema`).
import { writeFileSync } from 'node:fs';
import { policyJsonSchema } from '../dist/schema/policy-schema.js';

const target = new URL('../../../schema/policy.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
