import { decodeNameCursor, encodeNameCursor, pageOf } from './page-cursor';

describe('name cursors', () => {
  it.each(['a', 'web-01', 'Z.z_9-x', `a${'b'.repeat(127)}`])('round-trips %s', (name) => {
    const cursor = encodeNameCursor(name);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeNameCursor(cursor)).toBe(name);
  });

  it.each([
    ['garbage characters', 'not a cursor!'],
    ['empty', ''],
    ['base64 of something else', Buffer.from('2024-01-01|x').toString('base64url')],
    ['a cursor of another kind', Buffer.from('n2:web').toString('base64url')],
    ['a name no host may have', Buffer.from("n1:'; DROP TABLE hosts;--").toString('base64url')],
    ['too long', 'a'.repeat(300)],
  ])('refuses %s', (_what, cursor) => {
    expect(decodeNameCursor(cursor)).toBeNull();
  });

  it('offers a next cursor only when a row beyond the limit was fetched', () => {
    const names = (rows: string[], limit: number) =>
      pageOf(
        rows,
        limit,
        (r) => r,
        (r) => r.toUpperCase(),
      );
    expect(names(['a', 'b', 'c'], 2)).toEqual({ items: ['A', 'B'], nextCursor: encodeNameCursor('b') });
    expect(names(['a', 'b'], 2)).toEqual({ items: ['A', 'B'], nextCursor: null });
    expect(names([], 2)).toEqual({ items: [], nextCursor: null });
  });
});
