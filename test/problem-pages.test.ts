// Every problem type URI the engine (and the admin and webhook servers) emits resolves to a page in docs/problems/: one page per
// reason code, named after the last URI segment, with the three sections operators and clients read.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REASON_CODES } from '../packages/policy/src/index.js';
import { DEFAULT_PROBLEM_BASE_URI, REASONS } from '../packages/engine/src/responses/reasons.js';
import { compileDeny } from '../packages/engine/src/responses/problem.js';
import { PROBLEMS, SERVER_PROBLEM_BASE_URI } from '../packages/server/src/http/problem.js';
import { BASE_CONFIG, VECTORS_DIR } from './support/vectors.js';

const PAGES = new URL('../docs/problems/', import.meta.url);
const pageFor = (reason: string): URL => new URL(`${reason}.md`, PAGES);

/** The `type` of the body the engine answers for `reason` under `config`. */
function emittedType(reason: (typeof REASON_CODES)[number], config = BASE_CONFIG): string {
  const deny = compileDeny(config)(reason, { resourceUrl: 'http://api.example.com/v1/forecast' }, {}, { policy: config.policy, decision: 'deny', reason, status: REASONS[reason].status, cost: 0 });
  return (JSON.parse(deny.body) as { type: string }).type;
}

describe('problem type pages', () => {
  it.each(REASON_CODES.map((r) => [r]))('%s has a page with its title, status, cause, client and operator sections', (reason) => {
    const page = readFileSync(pageFor(reason), 'utf8');
    expect(page).toContain(`permalink: /problems/${reason}\n`);
    expect(page).toContain(`# ${REASONS[reason].title} (\`${reason}\`, HTTP ${REASONS[reason].status})`);
    expect(page).toContain('## What the client should do');
    expect(page).toContain('## What the operator can check');
  });

  it('has no page for a reason the engine does not know, and the index lists every reason', () => {
    const pages = readdirSync(PAGES).filter((f) => f.endsWith('.md') && f !== 'README.md').map((f) => f.slice(0, -3));
    expect(pages.sort()).toEqual([...REASON_CODES].sort());
    const index = readFileSync(new URL('README.md', PAGES), 'utf8');
    for (const reason of REASON_CODES) expect(index).toContain(`[${reason}.md](${reason}.md)`);
  });

  it.each(REASON_CODES.map((r) => [r]))('the type the engine emits for %s names its page, under the default and a configured base', (reason) => {
    const type = emittedType(reason);
    expect(type.startsWith(DEFAULT_PROBLEM_BASE_URI)).toBe(true);
    expect(existsSync(pageFor(type.slice(DEFAULT_PROBLEM_BASE_URI.length)))).toBe(true);
    const hosted = emittedType(reason, { ...BASE_CONFIG, responses: { problemBaseUri: 'https://docs.example.com/problems/' } });
    expect(hosted).toBe(`https://docs.example.com/problems/${reason}`);
  });

  it('every default type URI the conformance vectors expect names a page', () => {
    const types = new Set<string>();
    for (const file of readdirSync(VECTORS_DIR).filter((f) => f.endsWith('.yaml'))) {
      for (const match of readFileSync(new URL(file, `file://${VECTORS_DIR}`), 'utf8').matchAll(/https:\/\/tollgate\.dev\/problems\/([a-z-]+)/g)) types.add(match[1] ?? '');
    }
    expect(types.size).toBeGreaterThan(5);
    for (const reason of types) expect(existsSync(pageFor(reason)), reason).toBe(true);
  });
});

describe('problem type pages of the admin API and the webhook endpoint', () => {
  const SERVER_PAGES = new URL('server/', PAGES);
  const types = Object.values(PROBLEMS);

  it.each(types.map((t) => [t]))('server/%s has a page at the URI the servers emit', (type) => {
    const uri = `${SERVER_PROBLEM_BASE_URI}${type}`;
    expect(uri.startsWith(DEFAULT_PROBLEM_BASE_URI)).toBe(true);
    const page = readFileSync(new URL(`${uri.slice(DEFAULT_PROBLEM_BASE_URI.length)}.md`, PAGES), 'utf8');
    expect(page).toContain(`permalink: /problems/server/${type}\n`);
    expect(page).toContain('## What the client should do');
    expect(page).toContain('## What the operator can check');
  });

  it('has no page for a type the servers do not know', () => {
    expect(readdirSync(SERVER_PAGES).map((f) => f.slice(0, -3)).sort()).toEqual([...types].sort());
  });
});
