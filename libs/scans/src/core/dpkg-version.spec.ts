import {
  compareDebianVersions,
  compareVersionPart,
  debianVersionsRelate,
  InvalidDebianVersionError,
  parseDebianVersion,
} from './dpkg-version';

// Every row was checked against `dpkg --compare-versions A lt|eq|gt B` (dpkg 1.21).
// The first block is dpkg's own lib/dpkg/t/t-version.c, as version strings.
const ORDERED: [string, '<' | '=' | '>', string][] = [
  // dpkg t-version.c: equality
  ['0-0', '=', '0-0'],
  ['0-00', '=', '00-0'],
  ['1:2-3', '=', '1:2-3'],
  // dpkg t-version.c: epoch, version and revision differences
  ['0:0-0', '<', '1:0-0'],
  ['1:0-0', '>', '0:0-0'],
  ['0:a-0', '<', '0:b-0'],
  ['0:b-0', '>', '0:a-0'],
  ['0:0-a', '<', '0:0-b'],
  ['0:0-b', '>', '0:0-a'],
  ['1-1', '<', '2-1'],
  ['1-1', '<', '1-2'],
  // a missing epoch is 0, a missing revision is "" which equals "0"
  ['1.0', '=', '0:1.0'],
  ['1.0', '=', '1.0-0'],
  ['1.0-0', '=', '0:1.0-0'],
  ['1.0', '<', '1.0-1'],
  // epochs win over everything, and compare as numbers
  ['1:0.1', '>', '9.9'],
  ['2:1.0', '>', '1:9.9'],
  ['10:1', '>', '9:1'],
  ['0:1.0', '<', '1:1.0~rc1'],
  // digit runs compare as numbers, leading zeros ignored
  ['1.2', '<', '1.10'],
  ['1.002', '=', '1.2'],
  ['1.09', '<', '1.10'],
  ['1.0', '<', '1.0.1'],
  ['2.10', '>', '2.9'],
  ['20000101', '<', '20000102'],
  ['1.99999999999999999999', '<', '1.100000000000000000000'],
  // `~` sorts before everything, even the end of the string
  ['1.0~rc1', '<', '1.0'],
  ['1.0~rc1', '<', '1.0~rc2'],
  ['1.0~~', '<', '1.0~'],
  ['1.0~~a', '<', '1.0~'],
  ['1.0~', '<', '1.0'],
  ['1.0~beta', '<', '1.0~rc'],
  ['1.0-1~bpo1', '<', '1.0-1'],
  ['3.0.15-1~deb12u1', '<', '3.0.15-1'],
  ['3.0.15-1~deb11u1', '<', '3.0.15-1~deb12u1'],
  ['2.36-9+deb12u7', '>', '2.36-9+deb12u4'],
  ['2.36-9+deb12u10', '>', '2.36-9+deb12u9'],
  // letters before non-letters; the end of a part before letters
  ['1.0a', '>', '1.0'],
  ['1.0a', '<', '1.0+'],
  ['1.0+', '<', '1.0.'],
  ['1.0+dfsg', '>', '1.0'],
  ['1.0.a', '>', '1.0+'],
  ['1a', '<', '1b'],
  ['1A', '<', '1a'],
  ['1.0+b1', '>', '1.0'],
  ['1.0-1+b1', '>', '1.0-1'],
  ['1.0-1.1', '>', '1.0-1'],
  ['1.0-1+deb12u1', '<', '1.0-1.1'],
  // the revision is after the last hyphen; upstream may hold hyphens and colons
  ['1.0-2-1', '>', '1.0-1-9'],
  ['1:1.0:2-1', '>', '1:1.0:1-1'],
  ['1:1.0-1', '=', '1:1.0-1'],
  // real Debian security updates
  ['3.0.11-1~deb12u2', '<', '3.0.15-1~deb12u1'],
  ['7.88.1-10+deb12u5', '<', '7.88.1-10+deb12u8'],
  ['1:9.2p1-2+deb12u3', '>', '1:9.2p1-2+deb12u2'],
  ['1:9.2p1-2+deb12u3', '<', '1:9.2p1-2+deb12u3+b1'],
  ['2.4.62-1~deb12u1', '>', '2.4.61-1~deb12u1'],
  ['252.30-1~deb12u2', '<', '252.31-1~deb12u1'],
  ['5.2.15-2+b7', '>', '5.2.15-2'],
  ['1.22.1-9+deb12u1', '>', '1.22.1-9'],
  ['2:8.2.2434-3+deb11u1', '<', '2:9.0.1378-2'],
  ['0.0~git20230101.abc-1', '<', '0.0~git20230102.abc-1'],
  ['0.0~git20230101.abc-1', '<', '0.0'],
];

const SYMBOL = { '-1': '<', '0': '=', '1': '>' } as const;

describe('dpkg version comparison', () => {
  it.each(ORDERED)('%s %s %s', (a, expected, b) => {
    expect(SYMBOL[String(compareDebianVersions(a, b)) as '-1' | '0' | '1']).toBe(expected);
    // Antisymmetric: swapping the operands flips the answer.
    const flipped = expected === '<' ? '>' : expected === '>' ? '<' : '=';
    expect(SYMBOL[String(compareDebianVersions(b, a)) as '-1' | '0' | '1']).toBe(flipped);
  });

  it('has at least 50 vectors', () => {
    expect(ORDERED.length).toBeGreaterThanOrEqual(50);
  });

  it('sorts a list the way dpkg does', () => {
    const shuffled = ['1.0', '1.0~rc1', '1:0.1', '1.0-1', '1.0+b1', '1.0a', '0.9', '1.0~~', '1.0.1'];
    expect([...shuffled].sort(compareDebianVersions)).toEqual([
      '0.9',
      '1.0~~',
      '1.0~rc1',
      '1.0',
      '1.0-1',
      '1.0a',
      '1.0+b1',
      '1.0.1',
      '1:0.1',
    ]);
  });

  it.each([
    ['lt', '1.0~rc1', '1.0', true],
    ['<<', '1.0', '1.0', false],
    ['le', '1.0', '1.0-0', true],
    ['eq', '0:1.0', '1.0', true],
    ['ne', '1.0', '1.0-1', true],
    ['ge', '1.0-1', '1.0', true],
    ['gt', '1.0', '1.0~', true],
    ['>>', '1.0~', '1.0', false],
  ] as const)('relation %s: %s vs %s is %s', (relation, a, b, expected) => {
    expect(debianVersionsRelate(a, relation, b)).toBe(expected);
  });

  it('compares the parts with verrevcmp: "~" < "" < letters < others', () => {
    expect(compareVersionPart('~', '')).toBeLessThan(0);
    expect(compareVersionPart('', 'a')).toBeLessThan(0);
    expect(compareVersionPart('a', '+')).toBeLessThan(0);
    expect(compareVersionPart('', '')).toBe(0);
  });
});

describe('parseDebianVersion', () => {
  it.each([
    ['1.0', { epoch: 0, upstream: '1.0', revision: '' }],
    ['1:2.3-4', { epoch: 1, upstream: '2.3', revision: '4' }],
    ['  2:1.0-2-3  ', { epoch: 2, upstream: '1.0-2', revision: '3' }],
    ['0:1.0~rc1+dfsg-1~deb12u1', { epoch: 0, upstream: '1.0~rc1+dfsg', revision: '1~deb12u1' }],
    ['1:1.0:2-1', { epoch: 1, upstream: '1.0:2', revision: '1' }],
  ] as [string, object][])('parses %j', (input, expected) => {
    expect(parseDebianVersion(input)).toEqual(expected);
  });

  it.each([
    ['', 'version string is empty'],
    ['1.0 2', 'embedded spaces'],
    [':1.0', 'epoch in version is empty'],
    ['a:1.0', 'epoch in version is not number'],
    ['1:', 'nothing after colon'],
    ['1.0-', 'revision number is empty'],
    ['-1', 'version number is empty'],
    ['abc', 'does not start with digit'],
    ['1.0_1', 'invalid character in version number'],
    ['1.0-1_2', 'invalid character in revision number'],
    ['99999999999:1.0', 'epoch in version is too big'],
  ])('refuses %j (%s)', (input, reason) => {
    expect(() => parseDebianVersion(input)).toThrow(InvalidDebianVersionError);
    expect(() => parseDebianVersion(input)).toThrow(reason);
  });
});
