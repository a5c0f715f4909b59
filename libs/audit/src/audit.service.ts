import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThan, MoreThan, Repository } from 'typeorm';
import { BadInputError } from '@vulnzero/http';
import { AuditEventInput, normalizeAuditEvent, type AuditEventFields } from './core/audit-event';
import { AuditRow, ChainVerification, ChainVerifier, GENESIS_HASH, sealAuditRows } from './core/audit-chain';
import { decodeAuditCursor, encodeAuditCursor } from './core/audit-cursor';
import { AuditEventEntity } from './audit-event.entity';

/**
 * Key of the transaction-scoped advisory lock that serializes chain appends
 * across every process writing the trail (gateway replicas, workers).
 */
export const AUDIT_CHAIN_LOCK_KEY = '7340205811907417601';

/** Events one transaction appends at most (they share one lock and one round of queries). */
const MAX_BATCH = 100;
const COLUMNS = [
  'id',
  'occurred_at',
  'actor_kind',
  'actor_id',
  'actor_name',
  'action',
  'resource_type',
  'resource_id',
  'request_id',
  'address',
  'outcome',
  'status_code',
  'detail',
  'prev_hash',
  'hash',
] as const;

export interface AuditEventView {
  id: string;
  occurredAt: string;
  actorKind: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  requestId: string | null;
  address: string | null;
  outcome: string;
  statusCode: number | null;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditPage {
  items: AuditEventView[];
  nextCursor: string | null;
}

interface PendingEvent {
  fields: AuditEventFields;
  resolve: (row: AuditRow) => void;
  reject: (error: unknown) => void;
}

export function toAuditEventView(row: AuditRow): AuditEventView {
  return { ...row, occurredAt: row.occurredAt.toISOString() };
}

function toAuditRow(entity: AuditEventEntity): AuditRow {
  return {
    id: entity.id,
    occurredAt: entity.occurredAt,
    actorKind: entity.actorKind,
    actorId: entity.actorId,
    actorName: entity.actorName,
    action: entity.action,
    resourceType: entity.resourceType,
    resourceId: entity.resourceId,
    requestId: entity.requestId,
    address: entity.address,
    outcome: entity.outcome,
    statusCode: entity.statusCode,
    detail: entity.detail,
    prevHash: entity.prevHash,
    hash: entity.hash,
  };
}

/**
 * The append-only, hash-chained audit trail. `record` queues the event and
 * resolves once it is committed; events recorded while a write is in flight
 * go out together in the next transaction, so a busy gateway takes the chain
 * lock once per batch rather than once per request.
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Audit');
  private readonly events: Repository<AuditEventEntity>;
  private readonly queue: PendingEvent[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private writing = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.events = dataSource.getRepository(AuditEventEntity);
  }

  /** Appends one event (HTTP or not: the worker records its own). Rejects if it could not be stored. */
  record(input: AuditEventInput): Promise<AuditEventView> {
    let fields: AuditEventFields;
    try {
      fields = normalizeAuditEvent(input, new Date());
    } catch (error) {
      return Promise.reject(error);
    }
    const stored = new Promise<AuditRow>((resolve, reject) => {
      this.queue.push({ fields, resolve, reject });
    });
    this.inFlight.add(stored);
    void stored.then(
      () => this.inFlight.delete(stored),
      () => this.inFlight.delete(stored),
    );
    this.startWriting();
    return stored.then(toAuditEventView);
  }

  async list(filter: { cursor?: string; limit: number }): Promise<AuditPage> {
    let below: string | undefined;
    if (filter.cursor !== undefined) {
      const id = decodeAuditCursor(filter.cursor);
      if (!id) throw new BadInputError('cursor is not a valid cursor', { field: 'cursor' });
      below = id;
    }
    const rows = await this.events.find({
      where: below ? { id: LessThan(below) } : {},
      order: { id: 'DESC' },
      take: filter.limit + 1,
    });
    const items = rows.slice(0, filter.limit).map((row) => toAuditEventView(toAuditRow(row)));
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > filter.limit && last ? encodeAuditCursor(last.id) : null };
  }

  /** Re-computes the chain from the first row, reading `batchSize` rows at a time. */
  async verify(batchSize = 1000): Promise<ChainVerification> {
    const verifier = new ChainVerifier();
    let after: string | undefined;
    for (;;) {
      const batch = await this.events.find({
        where: after ? { id: MoreThan(after) } : {},
        order: { id: 'ASC' },
        take: batchSize,
      });
      if (batch.length === 0 || !verifier.add(batch.map(toAuditRow))) break;
      if (batch.length < batchSize) break;
      after = batch[batch.length - 1]?.id;
    }
    return verifier.result();
  }

  /** Lets queued events reach the database before the connection pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private startWriting(): void {
    if (this.writing) return;
    this.writing = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const rows = await this.append(batch.map((pending) => pending.fields));
          batch.forEach((pending, index) => pending.resolve(rows[index] as AuditRow));
        } catch (error) {
          if (batch.length === 1) {
            batch[0]?.reject(error);
            continue;
          }
          // One bad event must not cost the others their record: retry them one by one.
          this.logger.warn({ err: error, events: batch.length }, 'audit batch failed, appending one by one');
          for (const pending of batch) {
            await this.append([pending.fields]).then(([row]) => pending.resolve(row as AuditRow), pending.reject);
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * Under the chain lock: read the last hash, take ids, hash, insert. Ids are
   * taken while the lock is held, so id order is chain order across writers.
   */
  private append(events: AuditEventFields[]): Promise<AuditRow[]> {
    return this.dataSource.transaction(async (manager: EntityManager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1::bigint)', [AUDIT_CHAIN_LOCK_KEY]);
      const [head] = (await manager.query(
        `SELECT (SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1) AS last_hash,
                ARRAY(SELECT nextval(pg_get_serial_sequence('audit_events', 'id'))::text
                      FROM generate_series(1, $1::int)) AS ids`,
        [events.length],
      )) as { last_hash: string | null; ids: string[] }[];
      const ids = [...(head?.ids ?? [])].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
      const rows = sealAuditRows(
        head?.last_hash ?? GENESIS_HASH,
        events.map((event, index) => ({ ...event, id: ids[index] as string })),
      );
      const params: unknown[] = [];
      const tuples = rows.map((row) => {
        const values = [
          row.id,
          row.occurredAt.toISOString(),
          row.actorKind,
          row.actorId,
          row.actorName,
          row.action,
          row.resourceType,
          row.resourceId,
          row.requestId,
          row.address,
          row.outcome,
          row.statusCode,
          JSON.stringify(row.detail),
          row.prevHash,
          row.hash,
        ];
        const placeholders = values.map((value) => {
          params.push(value);
          return `$${params.length}`;
        });
        return `(${placeholders.join(', ')})`;
      });
      await manager.query(`INSERT INTO audit_events (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, params);
      return rows;
    });
  }
}
