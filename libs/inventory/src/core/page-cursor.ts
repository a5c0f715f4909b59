// Opaque keyset cursors for lists ordered by name (hosts, credentials): the
// cursor carries the last name served, so pages stay stable under inserts and
// a query is one index range scan however deep the page.
import { NAME_PATTERN } from './host-input';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;
const PREFIX = 'n1:';

export function encodeNameCursor(lastName: string): string {
  return Buffer.from(`${PREFIX}${lastName}`, 'utf8').toString('base64url');
}

/** The name to continue after, or null for anything that is not a cursor we issued. */
export function decodeNameCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return null;
  const name = text.slice(PREFIX.length);
  return NAME_PATTERN.test(name) ? name : null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Cuts `limit + 1` fetched rows into a page; the extra row only says there is more. */
export function pageOf<R, T>(rows: R[], limit: number, nameOf: (row: R) => string, view: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(view),
    nextCursor: rows.length > limit && last !== undefined ? encodeNameCursor(nameOf(last)) : null,
  };
}
