import { describe, expect, it } from 'vitest';
import { lastMember } from './json-member.js';

describe('the last member of a piece of JSON', () => {
  it('finds an object, a number and a string value', () => {
    const text = 'xt":"hi"}],"usage":{"prompt_tokens":12,"completion_tokens":34},"id":"c-1","n":7}';
    expect(lastMember(text, 'usage')).toEqual({ prompt_tokens: 12, completion_tokens: 34 });
    expect(lastMember(text, 'id')).toBe('c-1');
    expect(lastMember(text, 'n')).toBe(7);
  });

  it('takes the last occurrence that starts a member', () => {
    expect(lastMember('{"usage":{"a":1},"x":{"usage":{"a":2}}}', 'usage')).toEqual({ a: 2 });
  });

  it('ignores the key where it is text inside a string (escaped quotes)', () => {
    const text = '"content":"say {\\"usage\\": {\\"a\\": 999}}","usage":{"a":1},"more":"x, \\"usage\\":{}"}';
    expect(lastMember(text, 'usage')).toEqual({ a: 1 });
  });

  it('skips a value the text cuts, and a number at the very end', () => {
    expect(lastMember('{"usage":{"a":1}, "usage":{"a":', 'usage')).toEqual({ a: 1 });
    expect(lastMember('"n":12', 'n')).toBeUndefined();
    expect(lastMember('{"n":12}', 'n')).toBe(12);
  });

  it('handles braces inside strings of the value and undefined when absent', () => {
    expect(lastMember('{"usage":{"note":"} ]","a":3}}', 'usage')).toEqual({ note: '} ]', a: 3 });
    expect(lastMember('{"other":1}', 'usage')).toBeUndefined();
    expect(lastMember('"usage" "x"', 'usage')).toBeUndefined();
  });
});
