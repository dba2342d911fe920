// A small closed-record checker for plugin configs whose published JSON Schemas are too loose
// (Kong's docs renderings have no additionalProperties, required fields or entity checks).

export type Field =
  | { readonly type: 'boolean' }
  | { readonly type: 'string'; readonly pattern?: RegExp; readonly enum?: readonly string[]; readonly minLength?: number }
  | { readonly type: 'number'; readonly gt?: number; readonly min?: number; readonly max?: number; readonly integer?: boolean }
  | { readonly type: 'strings'; readonly item?: RegExp; readonly minItems?: number }
  | { readonly type: 'record'; readonly fields: Fields };

export type Fields = Readonly<Record<string, Field>>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every problem of `value` against `fields`, as "path: message" lines. Unknown keys are problems. */
export function checkRecord(value: unknown, fields: Fields, path: string): string[] {
  if (!isRecord(value)) return [`${path}: must be an object`];
  const problems: string[] = [];
  for (const key of Object.keys(value)) if (!(key in fields)) problems.push(`${path}.${key}: unknown field`);
  for (const [key, field] of Object.entries(fields)) {
    if (value[key] !== undefined) problems.push(...checkField(value[key], field, `${path}.${key}`));
  }
  return problems;
}

function checkField(value: unknown, field: Field, path: string): string[] {
  switch (field.type) {
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: must be a boolean`];
    case 'string': {
      if (typeof value !== 'string') return [`${path}: must be a string`];
      if (field.enum && !field.enum.includes(value)) return [`${path}: must be one of ${field.enum.join(', ')}`];
      if (field.pattern && !field.pattern.test(value)) return [`${path}: must match ${String(field.pattern)}`];
      if (field.minLength !== undefined && value.length < field.minLength) return [`${path}: must have at least ${field.minLength} characters`];
      return [];
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return [`${path}: must be a number`];
      if (field.integer === true && !Number.isInteger(value)) return [`${path}: must be an integer`];
      if (field.gt !== undefined && !(value > field.gt)) return [`${path}: must be greater than ${field.gt}`];
      if (field.min !== undefined && value < field.min) return [`${path}: must be at least ${field.min}`];
      if (field.max !== undefined && value > field.max) return [`${path}: must be at most ${field.max}`];
      return [];
    }
    case 'strings': {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return [`${path}: must be an array of strings`];
      if (field.minItems !== undefined && value.length < field.minItems) return [`${path}: must have at least ${field.minItems} items`];
      const { item } = field;
      return item ? value.filter((v: string) => !item.test(v)).map((v: string) => `${path}: "${v}" must match ${String(item)}`) : [];
    }
    case 'record':
      return checkRecord(value, field.fields, path);
  }
}
