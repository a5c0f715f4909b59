import { describe, expect, it } from '@jest/globals';
import { chainVerdict } from './chain-verdict';

describe('chainVerdict', () => {
  it.each([
    [
      'an intact chain, with how much was checked',
      { valid: true, checked: 77 },
      'Chain intact: 77 entries checked, every hash and link matches.',
    ],
    ['an intact chain of one entry', { valid: true, checked: 1 }, 'Chain intact: 1 entry checked, every hash and link matches.'],
    [
      'a broken chain, naming the first entry that does not match',
      { valid: false, checked: 12, firstBrokenId: '12' },
      'Chain broken at entry #12 (12 entries checked): that entry, or the one it links to, was changed, removed or reordered.',
    ],
  ])('words %s', (_name, verification, text) => {
    expect(chainVerdict(verification)).toBe(text);
  });
});
