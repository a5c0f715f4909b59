import { validateOsvRecord } from './osv-record';

const debianRecord = (overrides: Record<string, unknown> = {}) => ({
  schema_version: '1.6.0',
  id: 'DSA-5678-1',
  modified: '2026-02-01T10:00:00Z',
  published: '2026-01-30T09:00:00Z',
  aliases: ['CVE-2026-10001'],
  summary: 'openssl security update',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [
    {
      package: { ecosystem: 'Debian:12', name: 'openssl' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }] }],
    },
  ],
  ...overrides,
});

describe('validateOsvRecord', () => {
  it('keeps the Debian entries with release, ranges and the CVSS severity', () => {
    const result = validateOsvRecord(debianRecord(), 0);
    expect(result).toEqual({
      ok: true,
      skippedEcosystems: [],
      record: expect.objectContaining({
        id: 'DSA-5678-1',
        aliases: ['CVE-2026-10001'],
        severity: 'critical',
        score: 9.8,
        affected: [
          expect.objectContaining({
            release: '12',
            name: 'openssl',
            ranges: [[{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }]],
            severity: 'critical',
          }),
        ],
      }),
    });
  });

  it('prefers database_specific.severity over the CVSS vector', () => {
    const result = validateOsvRecord(debianRecord({ database_specific: { severity: 'MODERATE' } }), 0);
    expect(result.ok && result.record.severity).toBe('medium');
  });

  it('lets an affected entry carry its own severity', () => {
    const record = debianRecord();
    (record.affected[0] as Record<string, unknown>).ecosystem_specific = { urgency: 'low' };
    const result = validateOsvRecord(record, 0);
    expect(result.ok && result.record.affected[0]?.severity).toBe('low');
  });

  it('skips and counts entries of other ecosystems', () => {
    const record = debianRecord();
    record.affected.push({
      package: { ecosystem: 'npm', name: 'left-pad' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
    } as never);
    const result = validateOsvRecord(record, 0);
    expect(result.ok && result.skippedEcosystems).toEqual(['npm']);
    expect(result.ok && result.record.affected).toHaveLength(1);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a missing id', { id: undefined }, '[4].id: is required'],
    ['a numeric id', { id: 42 }, '[4].id: is required'],
    ['a missing modified time', { modified: undefined }, '[4].modified: is required'],
    ['a modified time that is not RFC 3339', { modified: 'yesterday' }, '[4].modified'],
    ['aliases that are not strings', { aliases: [1] }, '[4].aliases: must be an array'],
    ['affected that is not an array', { affected: {} }, '[4].affected: must be an array'],
    ['a package without a name', { affected: [{ package: { ecosystem: 'Debian:12' } }] }, '[4].affected[0].package.name'],
    [
      'a range with no events',
      { affected: [{ package: { ecosystem: 'Debian:12', name: 'curl' }, ranges: [{ type: 'ECOSYSTEM', events: [] }] }] },
      '[4].affected[0].ranges[0].events: must be a non-empty array',
    ],
    [
      'a SEMVER range on a Debian package',
      { affected: [{ package: { ecosystem: 'Debian', name: 'curl' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }] },
      '[4].affected[0].ranges[0].type',
    ],
    [
      'a fixed version that is not a Debian version',
      {
        affected: [
          {
            package: { ecosystem: 'Debian', name: 'curl' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: 'latest!' }] }],
          },
        ],
      },
      '[4].affected[0].ranges[0].events[1].fixed',
    ],
    [
      'an event with two kinds',
      {
        affected: [
          { package: { ecosystem: 'Debian', name: 'curl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1.0' }] }] },
        ],
      },
      '[4].affected[0].ranges[0].events[0]: must have exactly one',
    ],
    [
      'a range without introduced',
      { affected: [{ package: { ecosystem: 'Debian', name: 'curl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '1.0' }] }] }] },
      'must have an introduced event',
    ],
    [
      'a Debian entry that lists nothing',
      { affected: [{ package: { ecosystem: 'Debian', name: 'curl' } }] },
      '[4].affected[0]: must list affected versions',
    ],
    ['a severity entry without a score', { severity: [{ type: 'CVSS_V3' }] }, '[4].severity[0]'],
  ])('names the field of %s', (_name, overrides, expected) => {
    const result = validateOsvRecord(debianRecord(overrides), 4);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.join('\n')).toContain(expected);
  });

  it('refuses a record that is not an object', () => {
    expect(validateOsvRecord([], 2)).toEqual({ ok: false, problems: ['[2]: must be an OSV object'] });
  });
});
