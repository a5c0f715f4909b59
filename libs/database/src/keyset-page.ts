import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { BadInputError } from '@vulnzero/http';
import { decodeCursor, encodeCursor } from './core/cursor';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** to_char format of the cursor's exact created_at (see core/cursor.ts); passed as a parameter, its colons stay SQL text. */
const EXACT_UTC_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';
const CREATED_AT_COLUMN = 'keyset_created_at';

/**
 * Newest-first keyset pagination over (created_at, id) for every list route
 * ordered by creation: stable while rows are inserted, and an index on those
 * columns serves it. The cursor holds created_at exactly as PostgreSQL has it
 * (microseconds, read as text, never through a Date), so rows written in one
 * transaction, which share created_at, are each served once. A cursor of the
 * earlier millisecond format cannot say where in its millisecond the page
 * ended: it is answered with 400 telling the caller to start again.
 */
export async function keysetPage<E extends ObjectLiteral & { id: string }>(
  query: SelectQueryBuilder<E>,
  alias: string,
  page: { cursor?: string; limit: number },
): Promise<Page<E>> {
  query
    .addSelect(`to_char(${alias}.created_at AT TIME ZONE 'UTC', :keysetFormat)`, CREATED_AT_COLUMN)
    .setParameter('keysetFormat', EXACT_UTC_FORMAT)
    .orderBy(`${alias}.created_at`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC');
  if (page.cursor) {
    const decoded = decodeCursor(page.cursor);
    if (decoded.kind === 'outdated') {
      throw new BadInputError(
        [
          'cursor: was issued before cursors carried microseconds and cannot continue that listing exactly; start again from the first page (no cursor)',
        ],
        { field: 'cursor' },
      );
    }
    if (decoded.kind === 'invalid') throw new BadInputError('cursor is not a valid cursor', { field: 'cursor' });
    query.andWhere(`(${alias}.created_at, ${alias}.id) < (CAST(:keysetCreatedAt AS timestamptz), CAST(:keysetId AS uuid))`, {
      keysetCreatedAt: decoded.position.createdAt,
      keysetId: decoded.position.id,
    });
  }
  const { entities, raw } = await query.take(page.limit + 1).getRawAndEntities<Record<string, unknown>>();
  const items = entities.slice(0, page.limit);
  const last = items[items.length - 1];
  if (entities.length <= page.limit || !last) return { items, nextCursor: null };
  const lastRaw = raw.find((row) => row[`${alias}_id`] === last.id);
  const createdAt = lastRaw?.[CREATED_AT_COLUMN];
  if (typeof createdAt !== 'string') throw new Error(`keysetPage: no exact created_at read for ${alias}.id ${last.id}`);
  return { items, nextCursor: encodeCursor({ createdAt, id: last.id }) };
}
