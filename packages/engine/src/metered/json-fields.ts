// Reading token counts out of JSON: a dotted field path (`usage.total_tokens`) resolved in a
// parsed document, accepting only a non-negative safe integer. A count that is a float, a string,
// negative or beyond 2^53 is no count: the caller treats it as unreadable.

/** `usage.total_tokens` → ['usage', 'total_tokens']. The policy schema restricts paths to dotted names. */
export function fieldPath(dotted: string): readonly string[] {
  return dotted.split('.');
}

/** The member at `path`, or undefined when a step is missing or not an object. */
export function valueAt(document: unknown, path: readonly string[]): unknown {
  let value = document;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A count: a non-negative safe integer, else undefined. */
export function countOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

export function countAt(document: unknown, path: readonly string[]): number | undefined {
  return countOf(valueAt(document, path));
}

/** The parsed JSON, or undefined when the text is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
