import { describe, expect, it } from 'vitest';
import { findings, KEY_AUTH, lintYaml, policy, ROUTES } from '../test-support/lint-yaml.js';
import { loadProject } from './load-project.js';
import { MAX_SOURCE_BYTES } from './source-file.js';

const encode = (text: string) => new TextEncoder().encode(text);

describe('positions', () => {
  it('points at an unknown key inside a flow mapping, not at its value', () => {
    const text = policy('p', ['routes: [{ name: r1, paths: [/a], methds: [GET] }]', KEY_AUTH]);
    expect(findings(lintYaml({ 'p.yaml': text }))).toEqual(['p.yaml:5:37 unknown-key unknown key "methds"; did you mean "methods"?']);
  });

  it('points at a wrong value inside a flow mapping', () => {
    const text = policy('p', [ROUTES, 'identity: { auth: key-auth, limitBy: consumr }']);
    expect(findings(lintYaml({ 'p.yaml': text }))).toEqual(['p.yaml:6:40 schema "limitBy" must be one of: consumer, credential, header, ip; did you mean "consumer"?']);
  });

  it('reports a missing key at the key of the mapping that lacks it', () => {
    const text = policy('p', [ROUTES]);
    expect(findings(lintYaml({ 'p.yaml': text }))).toEqual(['p.yaml:4:1 schema "spec" is missing required key "identity"']);
  });

  it('keeps line numbers of later documents in a multi-document file', () => {
    const second = policy('q', ['routes: [{ name: r2, paths: [/b] }]', 'identity: { auth: key-auth, limitBy: consumer, extra: 1 }']);
    const text = `${policy('p', [ROUTES, KEY_AUTH])}---\n${second}`;
    expect(findings(lintYaml({ 'p.yaml': text }))).toEqual(['p.yaml:13:50 unknown-key unknown key "extra"; allowed: auth, keyNames, hideCredentials, anonymous, limitBy, header']);
  });

  it('reports block-style nodes at their own line', () => {
    const text = ['apiVersion: tollgate.dev/v1', 'kind: Plans', 'metadata:', '  name: cat', 'spec:', '  plans:', '    free:', '      rateLimit:', '        minute: -1', ''].join('\n');
    expect(findings(lintYaml({ 'c.yaml': text }))).toEqual(['c.yaml:9:17 schema "minute" must be >= 1']);
  });

  it('reports YAML syntax errors with their position and no excerpt', () => {
    expect(findings(lintYaml({ 'bad.yaml': 'a: 1\nb: [1, 2\nc: 3\n' }))).toEqual([expect.stringMatching(/^bad\.yaml:3:1 yaml-syntax [^\n]+$/)]);
  });

  it.each([
    ['a double quote', 'a: 1\nb: "unclosed\nc: 3\nd: 4\n', 'q.yaml:2:4 yaml-syntax Missing closing "quote (the quoted string opened here never ends)'],
    ['a single quote', "a: 1\nb: 'x\nc: 3\n", "q.yaml:2:4 yaml-syntax Missing closing 'quote (the quoted string opened here never ends)"],
  ])('reports an unclosed %s where it opened, not at the end of the file', (_, text, expected) => {
    expect(findings(lintYaml({ 'q.yaml': text }))).toEqual([expected]);
  });

  it('reports an unresolved alias at the alias, not at 1:1', () => {
    expect(findings(lintYaml({ 'al.yaml': 'a: 1\nb: [x, *later]\nc: &later 3\n' }))).toEqual([
      'al.yaml:2:8 yaml-syntax Unresolved alias *later (the anchor &later must be set before the alias)',
    ]);
  });

  it('reports duplicate keys as YAML errors at the second key', () => {
    expect(findings(lintYaml({ 'dup.yaml': 'kind: Policy\nkind: Plans\n' }))).toEqual(['dup.yaml:2:1 yaml-syntax Map keys must be unique']);
  });
});

describe('YAML 1.1 ambiguity', () => {
  it('warns about unquoted yes/no/on/off, octal and sexagesimal scalars', () => {
    const text = 'apiVersion: tollgate.dev/v1\nkind: Consumers\nmetadata: { name: c, labels: { a: on, b: "on", c: "010", d: 010, e: 12:30 } }\nspec: { consumers: [] }\n';
    expect(findings(lintYaml({ 'c.yaml': text }), 'yaml11-ambiguous')).toEqual([
      'c.yaml:3:35 yaml11-ambiguous "on" is a string here but the boolean true to YAML 1.1 readers (decK, APISIX): quote it, or write the value you mean',
      'c.yaml:3:61 yaml11-ambiguous "010" is the number 10 here but the octal number 8 to YAML 1.1 readers (decK, APISIX): quote it, or write the value you mean',
      'c.yaml:3:69 yaml11-ambiguous "12:30" is a string here but a base-60 number to YAML 1.1 readers (decK, APISIX): quote it, or write the value you mean',
    ]);
  });
});

describe('files that are not policy YAML', () => {
  it.each([
    ['empty', '', 'x.yaml:1:1 empty-file file has no YAML documents'],
    ['comments only', '# nothing\n', 'x.yaml:1:1 empty-file file has no YAML documents'],
  ])('%s file', (_name, text, expected) => {
    expect(findings(lintYaml({ 'x.yaml': text }))).toEqual([expected]);
  });

  it.each([
    ['binary', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]), 'file is binary (contains NUL bytes), not a YAML policy file'],
    ['UTF-16', new Uint8Array([0xff, 0xfe, 0x61, 0x00]), 'file is UTF-16 encoded; save it as UTF-8'],
    ['Latin-1', new Uint8Array([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xe9]), 'file is not valid UTF-8; save it as UTF-8'],
    ['huge', new Uint8Array(MAX_SOURCE_BYTES + 1).fill(0x20), 'file is larger than 4 MiB; split it into several policy files'],
  ])('%s file is one finding, not a crash', (_name, bytes, message) => {
    const { diagnostics } = loadProject([{ path: 'x.yaml', bytes }]);
    expect(diagnostics.map((d) => d.message)).toEqual([message]);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    const { diagnostics } = loadProject([{ path: 'bomb.yaml', bytes: encode(bomb) }]);
    expect(diagnostics.map((d) => d.code)).toContain('yaml-syntax');
  });

  it('loads valid documents of every kind into the project', () => {
    const files = { 'p.yaml': policy('p', [ROUTES, KEY_AUTH, 'plans: { free: {} }']), 'k.yaml': 'apiVersion: tollgate.dev/v1\nkind: Consumers\nmetadata: { name: k }\nspec: { consumers: [{ name: ann, plan: free }] }\n' };
    const { project, diagnostics } = loadProject(Object.entries(files).map(([path, text]) => ({ path, bytes: encode(text) })));
    expect(diagnostics).toEqual([]);
    expect(project.policies.map((p) => p.value.metadata.name)).toEqual(['p']);
    expect(project.consumers[0]?.value.spec.consumers[0]?.plan).toBe('free');
  });
});
