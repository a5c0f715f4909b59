import { decodeCursor, DecodedCursor, encodeCursor, isExactTimestamp } from './cursor';

const ID = '6b0f8a57-2a4e-4c1e-9d1e-2f8d6f0c1a11';
const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('cursor', () => {
  it.each([
    { name: 'keeps the microseconds of a position', createdAt: '2026-11-25T10:00:00.123456Z' },
    { name: 'keeps trailing zero microseconds', createdAt: '2026-11-25T10:00:00.120000Z' },
    { name: 'keeps a position on the last microsecond of a year', createdAt: '2026-12-31T23:59:59.999999Z' },
  ])('$name', ({ createdAt }) => {
    const position = { createdAt, id: ID };
    expect(decodeCursor(encodeCursor(position))).toEqual<DecodedCursor>({ kind: 'position', position });
  });

  it('tells apart two positions in the same millisecond', () => {
    const first = encodeCursor({ createdAt: '2026-11-25T10:00:00.123456Z', id: ID });
    const second = encodeCursor({ createdAt: '2026-11-25T10:00:00.123457Z', id: ID });
    expect(first).not.toBe(second);
  });

  it.each([
    { name: 'a millisecond timestamp', createdAt: '2026-11-25T10:00:00.123Z' },
    { name: 'a timestamp with an offset', createdAt: '2026-11-25T11:00:00.123456+01:00' },
    { name: 'a day that does not exist', createdAt: '2026-02-30T10:00:00.123456Z' },
  ])('refuses to encode $name', ({ createdAt }) => {
    expect(() => encodeCursor({ createdAt, id: ID })).toThrow(/createdAt/);
  });

  it('calls a millisecond cursor of the earlier format outdated, not a position', () => {
    expect(decodeCursor(base64url(`2026-11-25T10:00:00.123Z|${ID}`))).toEqual<DecodedCursor>({ kind: 'outdated' });
  });

  it.each([
    { name: 'an empty cursor', cursor: '' },
    { name: 'characters outside base64url', cursor: 'not a cursor!' },
    { name: 'two fields that are not a time and an id', cursor: base64url('x|y') },
    { name: 'a time and no uuid', cursor: base64url('2026-01-01|not-a-uuid') },
    { name: 'an unknown version', cursor: base64url(`k9|2026-11-25T10:00:00.123456Z|${ID}`) },
    { name: 'a current cursor with a millisecond time', cursor: base64url(`k2|2026-11-25T10:00:00.123Z|${ID}`) },
    { name: 'a current cursor with hour 24', cursor: base64url(`k2|2026-11-25T24:00:00.000000Z|${ID}`) },
    { name: 'a current cursor with SQL in its time', cursor: base64url(`k2|2026-11-25T10:00:00.123456Z'; --|${ID}`) },
    { name: 'extra fields', cursor: base64url(`k2|2026-11-25T10:00:00.123456Z|${ID}|more`) },
  ])('calls $name invalid', ({ cursor }) => {
    expect(decodeCursor(cursor)).toEqual<DecodedCursor>({ kind: 'invalid' });
  });

  it.each([
    { text: '2026-11-25T10:00:00.123456Z', exact: true },
    { text: '2026-11-25T10:00:00.123Z', exact: false },
    { text: '2026-11-25 10:00:00.123456+00', exact: false },
    { text: '2026-13-01T10:00:00.123456Z', exact: false },
  ])('isExactTimestamp($text) is $exact', ({ text, exact }) => {
    expect(isExactTimestamp(text)).toBe(exact);
  });
});
