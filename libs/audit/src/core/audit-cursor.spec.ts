import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor';

describe('audit cursors', () => {
  it.each(['1', '42', '9223372036854775807'])('round-trips id %s', (id) => {
    expect(decodeAuditCursor(encodeAuditCursor(id))).toBe(id);
  });

  it.each([
    ['an id', '42'],
    ['garbage', '!!!'],
    ['a task cursor', Buffer.from('2026-01-01T00:00:00.000Z|6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f').toString('base64url')],
    ['id zero', Buffer.from('audit:0').toString('base64url')],
    ['an id past bigint', Buffer.from('audit:9223372036854775808').toString('base64url')],
    ['SQL', Buffer.from('audit:1 OR 1=1').toString('base64url')],
  ])('rejects %s', (_name, cursor) => {
    expect(decodeAuditCursor(cursor)).toBeNull();
  });
});
