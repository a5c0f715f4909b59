import { AuditEventInput, normalizeAuditEvent, storableJson, storableText } from './audit-event';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const base: AuditEventInput = { actorKind: 'anonymous', action: 'POST /auth/login', outcome: 'denied' };

describe('normalizeAuditEvent', () => {
  it('takes the given clock when the event has no time, and writes explicit nulls', () => {
    expect(normalizeAuditEvent(base, NOW)).toEqual({
      occurredAt: NOW,
      actorKind: 'anonymous',
      actorId: null,
      actorName: null,
      action: 'POST /auth/login',
      resourceType: null,
      resourceId: null,
      requestId: null,
      address: null,
      outcome: 'denied',
      statusCode: null,
      detail: {},
    });
  });

  it.each<[string, Partial<AuditEventInput>, Record<string, unknown>]>([
    [
      'lower-cases a user id so it reads back from uuid unchanged',
      { actorId: 'ABCDEF01-2345-4678-9ABC-DEF012345678' },
      { actorId: 'abcdef01-2345-4678-9abc-def012345678' },
    ],
    ['drops an actor id that is not a UUID', { actorId: 'root' }, { actorId: null }],
    ['strips NUL characters PostgreSQL cannot store', { actorName: 'ad\u0000min' }, { actorName: 'admin' }],
    ['replaces a lone surrogate the driver would mangle', { actorName: 'a\uD800b' }, { actorName: 'a\uFFFDb' }],
    ['bounds a long attempted username', { actorName: 'x'.repeat(5000) }, { actorName: 'x'.repeat(200) }],
    ['turns an empty string into null', { resourceId: '' }, { resourceId: null }],
  ])('%s', (_name, input, expected) => {
    expect(normalizeAuditEvent({ ...base, ...input }, NOW)).toEqual(expect.objectContaining(expected));
  });

  it.each<[string, Partial<AuditEventInput>]>([
    ['an unknown actor kind', { actorKind: 'root' as never }],
    ['an unknown outcome', { outcome: 'maybe' as never }],
    ['an empty action', { action: '' }],
    ['a status that is not HTTP', { statusCode: 42 }],
    ['an invalid date', { occurredAt: new Date('nope') }],
  ])('refuses %s', (_name, input) => {
    expect(() => normalizeAuditEvent({ ...base, ...input }, NOW)).toThrow(TypeError);
  });

  it('keeps detail to JSON that survives jsonb unchanged', () => {
    const detail = normalizeAuditEvent(
      { ...base, detail: { ratio: 0.1, big: 2 ** 60, count: 3, when: NOW, skip: undefined, fn: () => 1, id: 10n } },
      NOW,
    ).detail;
    expect(detail).toEqual({ ratio: '0.1', big: String(2 ** 60), count: 3, when: NOW.toISOString(), id: '10' });
  });

  it('replaces an oversized detail by a marker naming its keys', () => {
    const detail = normalizeAuditEvent(
      { ...base, detail: { blob: ['x'.repeat(400)].concat(Array(30).fill('y'.repeat(400))) } },
      NOW,
    ).detail;
    expect(detail).toEqual({ truncated: true, keys: ['blob'] });
  });
});

describe('storableText and storableJson', () => {
  it('never cuts a surrogate pair in half', () => {
    expect(storableText('ab😀', 3)).toBe('ab');
  });

  it('bounds nesting', () => {
    expect(storableJson({ a: { b: { c: { d: { e: 1 } } } } })).toEqual({ a: { b: { c: { d: '[too deep]' } } } });
  });
});
