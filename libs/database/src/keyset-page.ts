import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { BadInputError } from '@vulnzero/http';
import { decodeCursor, encodeCursor } from './core/cursor';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Newest-first keyset pagination over (created_at, id) for any list route:
 * stable while rows are inserted, and an index on those columns serves it.
 */
export async function keysetPage<E extends ObjectLiteral & { id: string; createdAt: Date }>(
  query: SelectQueryBuilder<E>,
  alias: string,
  page: { cursor?: string; limit: number },
): Promise<Page<E>> {
  query.orderBy(`${alias}.created_at`, 'DESC').addOrderBy(`${alias}.id`, 'DESC');
  if (page.cursor) {
    const position = decodeCursor(page.cursor);
    if (!position) throw new BadInputError('cursor is not a valid cursor', { field: 'cursor' });
    query.andWhere(`(${alias}.created_at, ${alias}.id) < (:cursorCreatedAt, :cursorId)`, {
      cursorCreatedAt: position.createdAt,
      cursorId: position.id,
    });
  }
  const rows = await query.take(page.limit + 1).getMany();
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor:
      rows.length > page.limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null,
  };
}
