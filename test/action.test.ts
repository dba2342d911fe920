// The GitHub Action is code too: every input it reads must be declared, and the example workflow
// may only pass inputs the action declares.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const action = parse(read('action.yml')) as { inputs: Record<string, unknown>; runs: { using: string; steps: unknown[] } };
const workflow = parse(read('.github/workflows/policies.yml')) as { jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }> };

describe('action.yml', () => {
  it('is a composite action whose steps read only declared inputs', () => {
    expect(action.runs.using).toBe('composite');
    const used = [...read('action.yml').matchAll(/inputs\.([a-z-]+)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(Object.keys(action.inputs), `input ${String(name)}`).toContain(name);
  });

  it('is used by the example workflow with declared inputs only', () => {
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const own = steps.filter((step) => step.uses === './');
    expect(own).toHaveLength(1);
    for (const name of Object.keys(own[0]?.with ?? {})) expect(Object.keys(action.inputs)).toContain(name);
  });
});
