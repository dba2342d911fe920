import { describe, expect, test } from 'vitest';
import { apisixEnvRef, deckEnvTemplate, kongVaultRef } from './secrets.js';

/** What Kong's env vault does with the resource of {vault://env/<resource>} (kong/vaults/env). */
const kongEnvName = (reference: string): string => (/^\{vault:\/\/env\/([^}]+)\}$/.exec(reference)?.[1] ?? '').replace(/-/g, '_').toUpperCase();

describe('environment references per gateway', () => {
  test.each(['TOLLGATE_REDIS_PASSWORD', 'A', '_X1', 'DECK_KEY'])('Kong env vault reads %s back', (name) => {
    expect(kongEnvName(kongVaultRef({ env: name }))).toBe(name);
  });

  test('decK templates get the DECK_ prefix once; APISIX reads $env://', () => {
    expect(deckEnvTemplate({ env: 'KEY' })).toBe('${{ env "DECK_KEY" }}');
    expect(deckEnvTemplate({ env: 'DECK_KEY' })).toBe('${{ env "DECK_KEY" }}');
    expect(apisixEnvRef({ env: 'KEY' })).toBe('$env://KEY');
  });
});
