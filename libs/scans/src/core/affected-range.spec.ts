import { evaluateVersion, inRange } from './affected-range';
import type { RangeEvent } from './osv-record';

const fixedAt = (fixed: string, introduced = '0'): RangeEvent[] => [{ introduced }, { fixed }];

describe('OSV range matching with dpkg ordering', () => {
  it.each<[string, string, RangeEvent[], boolean]>([
    ['a version below the fix is affected', '3.0.11-1~deb12u2', fixedAt('3.0.15-1~deb12u1'), true],
    ['the fixed version itself is not affected', '3.0.15-1~deb12u1', fixedAt('3.0.15-1~deb12u1'), false],
    ['a version above the fix is not affected', '3.0.15-1~deb12u2', fixedAt('3.0.15-1~deb12u1'), false],
    ['a ~ pre-release of the fix is still affected', '3.0.15-1~deb12u1~pre1', fixedAt('3.0.15-1~deb12u1'), true],
    ['a binNMU of the fix is fixed', '3.0.15-1~deb12u1+b1', fixedAt('3.0.15-1~deb12u1'), false],
    ['a version below introduced is not affected', '1.0-1', fixedAt('2.0-1', '1.5-1'), false],
    ['introduced itself is affected', '1.5-1', fixedAt('2.0-1', '1.5-1'), true],
    ['introduced "0" covers every version', '0.0.1', fixedAt('1.0'), true],
    ['an epoch bump makes an old-looking version newer than the fix', '1:0.9-1', fixedAt('2.0-1'), false],
    ['a version without epoch is older than any epoch-1 fix', '9.9-1', fixedAt('1:1.0-1'), true],
    ['last_affected includes its own version', '2.0-1', [{ introduced: '0' }, { last_affected: '2.0-1' }], true],
    ['last_affected excludes what comes after', '2.0-2', [{ introduced: '0' }, { last_affected: '2.0-1' }], false],
    ['limit closes the range at its version', '3.0', [{ introduced: '1.0' }, { limit: '3.0' }], false],
    ['below limit stays affected', '2.9', [{ introduced: '1.0' }, { limit: '3.0' }], true],
    ['an introduced without a fix affects everything after it', '99.0', [{ introduced: '2.0' }], true],
    ['events given out of order are sorted by version', '1.6', [{ fixed: '2.0' }, { introduced: '1.0' }], true],
    [
      'a second introduced reopens after a fix',
      '3.5',
      [{ introduced: '1.0' }, { fixed: '2.0' }, { introduced: '3.0' }, { fixed: '4.0' }],
      true,
    ],
    [
      'between a fix and a re-introduction is safe',
      '2.5',
      [{ introduced: '1.0' }, { fixed: '2.0' }, { introduced: '3.0' }, { fixed: '4.0' }],
      false,
    ],
    ['revision matters: -1 is before -1+deb12u1', '2.36-9', fixedAt('2.36-9+deb12u7'), true],
    ['u10 is after u9 (numeric, not lexical)', '2.36-9+deb12u10', fixedAt('2.36-9+deb12u9'), false],
    ['a Debian 11 version is older than the Debian 12 fix of the same upstream', '3.0.15-1~deb11u1', fixedAt('3.0.15-1~deb12u1'), true],
  ])('%s (%s)', (_name, installed, events, expected) => {
    expect(inRange(installed, events)).toBe(expected);
  });

  it('reports the lowest fix above the installed version', () => {
    const events: RangeEvent[] = [{ introduced: '0' }, { fixed: '1.0-2' }, { introduced: '1.1-1' }, { fixed: '1.1-3' }];
    expect(evaluateVersion('1.1-2', { ranges: [events], versions: [] })).toEqual({ affected: true, fixed: '1.1-3' });
    expect(evaluateVersion('1.0-1', { ranges: [events], versions: [] })).toEqual({ affected: true, fixed: '1.0-2' });
  });

  it('needs every range the version is in to be fixed', () => {
    const spec = { ranges: [fixedAt('1.2'), fixedAt('1.5', '1.1')], versions: [] };
    expect(evaluateVersion('1.1', spec)).toEqual({ affected: true, fixed: '1.5' });
  });

  it('has no fix when a range it is in has none', () => {
    expect(evaluateVersion('2.1', { ranges: [[{ introduced: '2.0' }]], versions: [] })).toEqual({ affected: true, fixed: null });
  });

  it('matches versions listed one by one, equal as dpkg sees them', () => {
    expect(evaluateVersion('0:1.0-0', { ranges: [], versions: ['1.0'] })).toEqual({ affected: true, fixed: null });
    expect(evaluateVersion('1.0-1', { ranges: [], versions: ['1.0'] })).toEqual({ affected: false, fixed: null });
  });

  it('is not affected by an entry with nothing in range', () => {
    expect(evaluateVersion('5.0', { ranges: [fixedAt('1.0')], versions: [] })).toEqual({ affected: false, fixed: null });
  });
});
