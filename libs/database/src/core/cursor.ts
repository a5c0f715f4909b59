// Opaque keyset cursors for newest-first lists: the position of the last row
// served, (created_at, id). created_at is carried exactly as PostgreSQL stores
// it, to the microsecond, as UTC text (`2026-11-25T10:00:00.123456Z`), never
// through a JavaScript Date: a Date keeps milliseconds only, rows written in
// one transaction share created_at, and a position rounded to the millisecond
// would skip the rest of them.

export interface CursorPosition {
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ`: UTC, six fraction digits. */
  createdAt: string;
  id: string;
}

export type DecodedCursor =
  | { kind: 'position'; position: CursorPosition }
  /** A cursor of the earlier format (milliseconds): it cannot say where in a millisecond the page ended. */
  | { kind: 'outdated' }
  | { kind: 'invalid' };

const VERSION = 'k2';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EXACT_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})\d{3}Z$/;

/** True for a real instant in the exact format (no 30 February, no hour 24). */
export function isExactTimestamp(text: string): boolean {
  const match = EXACT_TIMESTAMP.exec(text);
  if (!match) return false;
  const milliseconds = `${match[1]}Z`;
  const parsed = new Date(milliseconds);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString() === milliseconds;
}

export function encodeCursor(position: CursorPosition): string {
  if (!isExactTimestamp(position.createdAt)) throw new TypeError(`cursor createdAt ${position.createdAt} is not an exact UTC timestamp`);
  if (!UUID.test(position.id)) throw new TypeError(`cursor id ${position.id} is not a uuid`);
  return Buffer.from(`${VERSION}|${position.createdAt}|${position.id}`, 'utf8').toString('base64url');
}

/** Anything that is not a cursor we issue now is `invalid` or `outdated`, so callers answer 400 saying which. */
export function decodeCursor(cursor: string): DecodedCursor {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return { kind: 'invalid' };
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (parts.length === 3) {
    const [version, createdAt, id] = parts as [string, string, string];
    if (version === VERSION && isExactTimestamp(createdAt) && UUID.test(id)) return { kind: 'position', position: { createdAt, id } };
    return { kind: 'invalid' };
  }
  if (parts.length === 2) {
    const [createdAt, id] = parts as [string, string];
    if (UUID.test(id) && !Number.isNaN(Date.parse(createdAt))) return { kind: 'outdated' };
  }
  return { kind: 'invalid' };
}
