// A suite that needs a system tool skips locally with a visible reason when the tool is missing;
// under CI its absence is a failure instead, so CI never silently skips a suite.
export function skipOutsideCi(reason: string): string {
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') throw new Error(`CI is set but ${reason}`);
  return reason;
}
