// Every document kind of a Tollgate project, and the published JSON Schemas generated from them.
import { ConsumersDocument, PlansDocument, PolicyDocument } from './policy-schema.js';
import { ScenariosDocument } from './scenarios-schema.js';

export type TollgateDocument = PolicyDocument | PlansDocument | ConsumersDocument | ScenariosDocument;
export type DocumentKind = TollgateDocument['kind'];

export const DOCUMENT_SCHEMAS = { Policy: PolicyDocument, Plans: PlansDocument, Consumers: ConsumersDocument, Scenarios: ScenariosDocument } as const;
export const DOCUMENT_KINDS = Object.keys(DOCUMENT_SCHEMAS) as DocumentKind[];

export const SCHEMA_ID = 'https://tollgate.dev/schema/v1/policy.schema.json';
export const SCENARIOS_SCHEMA_ID = 'https://tollgate.dev/schema/v1/scenarios.schema.json';
const DRAFT = 'https://json-schema.org/draft/2020-12/schema';

/** The published JSON Schema (draft 2020-12): any one Tollgate document, chosen by `kind`. */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    $schema: DRAFT,
    $id: SCHEMA_ID,
    title: 'Tollgate policy document',
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: { kind: { enum: DOCUMENT_KINDS } },
    allOf: DOCUMENT_KINDS.map((kind) => ({
      if: { properties: { kind: { const: kind } }, required: ['kind'] },
      then: DOCUMENT_SCHEMAS[kind],
    })),
  };
}

/** The JSON Schema of scenario files alone, for editors (`# yaml-language-server: $schema=…`). */
export function scenariosJsonSchema(): Record<string, unknown> {
  return { $schema: DRAFT, $id: SCENARIOS_SCHEMA_ID, title: 'Tollgate scenarios document', ...ScenariosDocument };
}
