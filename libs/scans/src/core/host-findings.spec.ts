import { AdvisoryPackage, countBySeverity, matchHost } from './host-findings';
import { ecosystemAppliesTo, parseAptUpgradable, parseDpkgQuery, parseOsRelease } from './host-inventory';

const DEBIAN_12 = parseOsRelease(
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
);

const advisory = (overrides: Partial<AdvisoryPackage>): AdvisoryPackage => ({
  advisoryId: 'DSA-5678-1',
  aliases: ['CVE-2026-10001'],
  release: '12',
  name: 'openssl',
  ranges: [[{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }]],
  versions: [],
  severity: 'high',
  score: 7.5,
  ...overrides,
});

describe('host inventory parsing', () => {
  it('reads os-release', () => {
    expect(DEBIAN_12).toEqual({
      id: 'debian',
      versionId: '12',
      versionCodename: 'bookworm',
      idLike: [],
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
    });
  });

  it('keeps only installed packages from dpkg-query', () => {
    const text = [
      'openssl\t3.0.11-1~deb12u2\tinstall ok installed\tamd64\topenssl\t3.0.11-1~deb12u2',
      'libssl3\t3.0.11-1~deb12u2\thold ok installed\tamd64\topenssl\t3.0.11-1~deb12u2',
      'oldpkg\t1.0\tdeinstall ok config-files\tamd64\toldpkg\t1.0',
      'half\t1.0\tinstall reinstreq half-installed\tamd64\thalf\t1.0',
      'bare\t2.0\tinstall ok installed',
    ].join('\n');
    expect(parseDpkgQuery(text).map((p) => [p.name, p.source, p.sourceVersion])).toEqual([
      ['openssl', 'openssl', '3.0.11-1~deb12u2'],
      ['libssl3', 'openssl', '3.0.11-1~deb12u2'],
      ['bare', 'bare', '2.0'],
    ]);
  });

  it('reads apt list --upgradable', () => {
    const text = 'Listing...\nopenssl/stable-security 3.0.15-1~deb12u1 amd64 [upgradable from: 3.0.11-1~deb12u2]\n';
    expect(parseAptUpgradable(text)).toEqual([
      { name: 'openssl', suite: 'stable-security', candidate: '3.0.15-1~deb12u1', installed: '3.0.11-1~deb12u2' },
    ]);
  });

  it.each<[string | null, boolean]>([
    [null, true],
    ['12', true],
    ['bookworm', true],
    ['11', false],
    ['bullseye', false],
  ])('Debian ecosystem release %s applies to Debian 12: %s', (release, expected) => {
    expect(ecosystemAppliesTo(release, DEBIAN_12)).toBe(expected);
  });

  it('never applies Debian advisories to Ubuntu', () => {
    expect(ecosystemAppliesTo(null, parseOsRelease('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"'))).toBe(false);
  });
});

describe('matchHost', () => {
  const packages = parseDpkgQuery(
    [
      'openssl\t3.0.11-1~deb12u2\tinstall ok installed\tamd64\topenssl\t3.0.11-1~deb12u2',
      'libssl3\t3.0.11-1~deb12u2\tinstall ok installed\tamd64\topenssl\t3.0.11-1~deb12u2',
      'curl\t7.88.1-10+deb12u8\tinstall ok installed\tamd64\tcurl\t7.88.1-10+deb12u8',
    ].join('\n'),
  );

  it('matches binaries by their own name and by their source package', () => {
    const matches = matchHost(DEBIAN_12, packages, [advisory({})]);
    expect(matches.map((m) => [m.package, m.matchedName, m.installedVersion, m.fixedVersion])).toEqual([
      ['libssl3', 'openssl', '3.0.11-1~deb12u2', '3.0.15-1~deb12u1'],
      ['openssl', 'openssl', '3.0.11-1~deb12u2', '3.0.15-1~deb12u1'],
    ]);
  });

  it('ignores fixed packages and other releases', () => {
    const matches = matchHost(DEBIAN_12, packages, [
      advisory({ advisoryId: 'DSA-5680-1', name: 'curl', ranges: [[{ introduced: '0' }, { fixed: '7.88.1-10+deb12u8' }]] }),
      advisory({ advisoryId: 'DLA-4000-1', release: '11' }),
    ]);
    expect(matches).toEqual([]);
  });

  it('keeps one finding per package and advisory, the most severe entry', () => {
    const matches = matchHost(DEBIAN_12, packages.slice(0, 1), [
      advisory({ release: null, severity: 'low' }),
      advisory({ severity: 'critical' }),
    ]);
    expect(matches).toHaveLength(1);
    expect(matches[0]?.severity).toBe('critical');
    expect(countBySeverity(matches)).toEqual({ critical: 1, high: 0, medium: 0, low: 0, unknown: 0 });
  });
});
