// Gateways receive each vector's config as JSON and check it with parseEngineConfig before
// deciding anything: a vector whose config the engine would refuse proves nothing on a gateway.
import { describe, expect, it } from 'vitest';
import { parseEngineConfig } from '../packages/engine/src/index.js';
import { loadVectors } from './support/vectors.js';

describe('conformance vector configs', () => {
  it.each(loadVectors().map((v) => [v.file, v] as const))('%s is a valid EngineConfig', (_file, vector) => {
    const parsed = parseEngineConfig(JSON.stringify(vector.config));
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
  });
});
