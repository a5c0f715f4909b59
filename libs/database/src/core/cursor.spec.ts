import { decodeCursor, encodeCursor } from './cursor';

describe('cursor', () => {
  it('round-trips a position', () => {
    const position = { createdAt: '2026-11-25T10:00:00.123Z', id: '6b0f8a57-2a4e-4c1e-9d1e-2f8d6f0c1a11' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each(['', 'not a cursor!', Buffer.from('x|y').toString('base64url'), Buffer.from('2026-01-01|not-a-uuid').toString('base64url')])(
    'rejects %j',
    (cursor) => {
      expect(decodeCursor(cursor)).toBeNull();
    },
  );
});
