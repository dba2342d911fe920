// The building blocks every part of the policy schema uses: closed objects and maps, names,
// secrets (environment references), header names and URLs.
import Type, { type Static, type TSchema } from 'typebox';

export const closed = { additionalProperties: false } as const;

/** A map whose keys must match the key schema: anything else is an unknown key. */
export function closedRecord<K extends TSchema, V extends TSchema>(key: K, value: V, options: { description?: string } = {}): ReturnType<typeof Type.Record<K, V>> {
  return Type.Record(key, value, { ...options, additionalProperties: false });
}

export function described<T extends TSchema>(schema: T, description: string): T {
  return { ...schema, description };
}

/** Kong's utf8_name rule narrowed to ASCII; APISIX ids and usernames accept the same set. */
export const NamePattern = '^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$';
export const Name = Type.String({ pattern: NamePattern, description: 'Letters, digits and . _ ~ - (max 128).' });

export const EnvRef = Type.Object(
  { env: Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$', description: 'Environment variable name.' }) },
  { ...closed, description: 'A secret taken from the environment at deploy or run time.' },
);
export type EnvRef = Static<typeof EnvRef>;

/** A secret: the schema accepts literals so that lint can point at them (rule no-inline-secret). */
export const Secret = Type.Union([EnvRef, Type.String()]);

export const HeaderName = Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', description: 'An HTTP header name.' });
export const Url = Type.String({ pattern: '^https?://[^\\s]+$', description: 'An absolute http(s) URL.' });
