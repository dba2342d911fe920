import { describe, expect, it } from 'vitest';
import { parseTemplate, stripControls, type TemplateContext } from './template.js';

const context: TemplateContext = {
  facts: { method: 'GET', path: '/', headers: { 'x-a': ['one', 'two'], 'x-evil': 'a\r\nb\u0000c\td' }, query: { q: ['first', 'second'], flag: true }, clientIp: '192.0.2.1' },
  consumer: 'alice',
  credential: 'key-1',
  plan: 'pro',
  route: 'forecast',
};

function render(source: string, encode?: (v: string) => string): string {
  const parsed = parseTemplate(source);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.template.render(context, encode);
}

describe('templates', () => {
  it('substitute caller, plan, route, headers and query arguments', () => {
    expect(render('{{consumer}}/{{ plan }}/{{route}}/{{credential}}')).toBe('alice/pro/forecast/key-1');
    expect(render('[{{header.X-A}}] [{{query.q}}] [{{query.flag}}] [{{header.missing}}]')).toBe('[one, two] [first] [] []');
  });

  it('never let a value carry control characters (tab stays)', () => {
    expect(render('v={{header.x-evil}}')).toBe('v=abc\td');
    expect(stripControls('x\u007fy\u001bz')).toBe('xyz');
  });

  it('encode values, not the literal text, when asked', () => {
    expect(render('/u/{{consumer}}/{{header.x-a}}', encodeURIComponent)).toBe('/u/alice/one%2C%20two');
  });

  it('reject unknown variables and control characters in the template itself', () => {
    expect(parseTemplate('{{password}}')).toEqual({ ok: false, error: expect.stringContaining('unknown template variable {{password}}') });
    expect(parseTemplate('{{header.}}').ok).toBe(false);
    expect(parseTemplate('a\nb')).toEqual({ ok: false, error: 'template contains a control character' });
  });
});
