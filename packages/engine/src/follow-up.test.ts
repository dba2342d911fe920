import { describe, expect, it } from 'vitest';
import { decodeFollowUp, encodeFollowUp } from './follow-up.js';

const hold = { account: 'alice', key: 'hold:1' };

describe('follow-ups', () => {
  it('round-trip a metered hold with what its settlement needs', () => {
    const work = { hold, meter: { route: 'chat', estimate: 14, price: 'gpt-4o', requestId: 'r-1' } };
    expect(decodeFollowUp(encodeFollowUp(work))).toEqual(work);
  });

  it.each([
    ['a meter without a hold', { meter: { route: 'chat', estimate: 1 } }],
    ['a fractional estimate', { hold, meter: { route: 'chat', estimate: 1.5 } }],
    ['a negative estimate', { hold, meter: { route: 'chat', estimate: -1 } }],
    ['a price that is no name', { hold, meter: { route: 'chat', estimate: 1, price: 3 } }],
    ['no route', { hold, meter: { estimate: 1 } }],
  ])('refuse %s', (_name, work) => {
    expect(decodeFollowUp({ id: JSON.stringify(work) })).toBeUndefined();
  });
});
