// A cost the upstream states in a response header: a plain non-negative integer of units. Anything
// else (a sign, a fraction, an exponent, several values, more than a balance can hold) is
// unreadable, so that no upstream can make the engine charge a number it did not mean.

const DIGITS = /^[0-9]{1,16}$/;

/** The units, or undefined when the value is not a plain integer within Number.MAX_SAFE_INTEGER. */
export function headerUnits(value: string): number | undefined {
  // HTTP allows optional whitespace around a field value.
  const text = value.replace(/^[ \t]+|[ \t]+$/g, '');
  if (!DIGITS.test(text)) return undefined;
  const units = Number(text);
  return Number.isSafeInteger(units) ? units : undefined;
}
