import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { And, DataSource, EntityManager, LessThan, LessThanOrEqual, MoreThan, Repository } from 'typeorm';
import { BadInputError } from '@vulnzero/http';
import { AuditEventInput, normalizeAuditEvent, type AuditEventFields } from './core/audit-event';
import { AuditRow, ChainVerification, ChainVerifier, GENESIS_HASH, sealAuditRows } from './core/audit-chain';
import { decodeAuditCursor, encodeAuditCursor } from './core/audit-cursor';
import { AuditEventEntity } from './audit-event.entity';
import { currentAuditedRequest } from './audit-request-context';

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

/** What a change did: the actor, request id and address come from the request (or the worker). */
export interface AuditChange {
  /** `user.update`, `api-key.create`, `deployment.rollback.automatic`... */
  action: string;
  resourceType: string;
  resourceId?: string | null;
  /** What changed, e.g. `{ role: { from: 'viewer', to: 'operator' } }`. Never a secret. */
  detail?: Record<string, unknown>;
}

/** The name workers record their own decisions under. */
export const SYSTEM_WORKER_ACTOR = 'system:worker';
/** A change made by a service call outside any request (a script, a test). */
export const INTERNAL_ACTOR = 'system:internal';

/** The head of the chain when it was verified, to pin elsewhere: a later, shorter or different chain shows. */
export interface AuditChainHead {
  /** Id of the newest row, null while the trail is empty. */
  id: string | null;
  /** Its hash (the genesis hash while the trail is empty). */
  hash: string;
  /** Rows up to and including it. */
  count: number;
}

export interface AuditVerification extends ChainVerification {
  head: AuditChainHead;
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
 * The append-only, hash-chained audit trail.
 * - `recordChange(manager, change)`: a change's row, written in the change's
 *   own transaction, so a change that cannot be audited does not commit.
 * - `recordSystem(change, manager?)`: what a worker decided on its own, as
 *   `system:worker`.
 * - `record(event)`: an attempt that changed nothing (a denied or failed
 *   request). It is queued and resolves once committed; events recorded while
 *   a write is in flight go out together in the next transaction, so a busy
 *   gateway takes the chain lock once per batch rather than once per request.
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

  /**
   * Appends the row of a change made while handling a request, inside the
   * change's transaction: if the row cannot be written, the change rolls back
   * with it. Call it last in the transaction: it takes the chain lock, which
   * is held until the commit. The caller, request id and address come from
   * the request being handled (`scopeChangesToRequest`); outside any request
   * the actor is `system:internal`.
   */
  async recordChange(manager: EntityManager, change: AuditChange): Promise<AuditEventView> {
    const [row] = await this.recordChanges(manager, [change]);
    return row as AuditEventView;
  }

  /** `recordChange` for a request that changes many resources at once (a bulk host registration): one row each. */
  async recordChanges(manager: EntityManager, changes: AuditChange[]): Promise<AuditEventView[]> {
    if (changes.length === 0) return [];
    const request = currentAuditedRequest();
    const actor = request?.actor;
    const now = new Date();
    const fields = changes.map((change) =>
      normalizeAuditEvent(
        {
          // No request: a service called by the process itself (a script, a test), never by a caller.
          actorKind: actor ? actor.kind : request ? 'anonymous' : 'system',
          actorId: actor?.userId ?? null,
          actorName: actor?.name ?? (request ? null : INTERNAL_ACTOR),
          action: change.action,
          resourceType: change.resourceType,
          resourceId: change.resourceId ?? null,
          requestId: request?.id ?? null,
          address: request?.ip ?? null,
          outcome: 'success',
          detail: { ...(change.detail ?? {}), ...(actor?.apiKeyId ? { apiKeyId: actor.apiKeyId } : {}) },
        },
        now,
      ),
    );
    const rows = await this.appendWithin(manager, fields);
    // The HTTP hook leaves a successful request to these rows.
    if (request) request.auditRecorded = true;
    return rows.map(toAuditEventView);
  }

  /**
   * A worker's own decision (automatic rollback, resume, giving up on a lost
   * job), as actor `system:worker` (or another `system:` name): in
   * `manager`'s transaction when given, else in a transaction of its own
   * (resolves once committed).
   */
  async recordSystem(change: AuditChange, manager?: EntityManager, actorName = SYSTEM_WORKER_ACTOR): Promise<AuditEventView> {
    const event: AuditEventInput = {
      actorKind: 'system',
      actorName,
      action: change.action,
      resourceType: change.resourceType,
      resourceId: change.resourceId ?? null,
      outcome: 'success',
      detail: change.detail,
    };
    if (!manager) return this.record(event);
    const [row] = await this.appendWithin(manager, [normalizeAuditEvent(event, new Date())]);
    return toAuditEventView(row as AuditRow);
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

  /**
   * Re-computes the chain from the first row up to the head found at the
   * start, reading `batchSize` rows at a time, and returns that head (id,
   * hash, count) to pin elsewhere. With `pinnedHash` (a head pinned earlier)
   * it also says where that row is now: nowhere means rows were cut off.
   */
  async verify(options: { batchSize?: number; pinnedHash?: string } = {}): Promise<AuditVerification> {
    const batchSize = options.batchSize ?? 1000;
    const [newest] = await this.events.find({ select: { id: true, hash: true }, order: { id: 'DESC' }, take: 1 });
    const verifier = new ChainVerifier(options.pinnedHash);
    let count = 0;
    let after: string | undefined;
    while (newest) {
      const batch = await this.events.find({
        where: { id: after ? And(MoreThan(after), LessThanOrEqual(newest.id)) : LessThanOrEqual(newest.id) },
        order: { id: 'ASC' },
        take: batchSize,
      });
      count += batch.length;
      const intact = verifier.add(batch.map(toAuditRow));
      if (batch.length < batchSize) break;
      after = batch[batch.length - 1]?.id;
      if (!intact) {
        // A broken chain is not checked further, but the head still counts every row.
        const [rest] = (await this.dataSource.query('SELECT count(*)::int AS n FROM audit_events WHERE id > $1 AND id <= $2', [
          after,
          newest.id,
        ])) as { n: number }[];
        count += rest?.n ?? 0;
        break;
      }
    }
    return { ...verifier.result(), head: { id: newest?.id ?? null, hash: newest?.hash ?? GENESIS_HASH, count } };
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
    return this.dataSource.transaction((manager) => this.appendWithin(manager, events));
  }

  private async appendWithin(manager: EntityManager, events: AuditEventFields[]): Promise<AuditRow[]> {
    await manager.query('SELECT pg_advisory_xact_lock($1::bigint)', [AUDIT_CHAIN_LOCK_KEY]);
    // Ids follow the last committed row, not a sequence: a change whose
    // transaction rolls back (its audit row with it) leaves no gap, so a gap
    // always means a deleted row. The sequence is kept in step for other inserts.
    const [head] = (await manager.query(
      `WITH last AS (SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1)
       SELECT (SELECT hash FROM last) AS last_hash,
              ARRAY(SELECT (coalesce((SELECT id FROM last), 0) + n)::text FROM generate_series(1, $1::int) AS n) AS ids,
              setval(pg_get_serial_sequence('audit_events', 'id'), coalesce((SELECT id FROM last), 0) + $1::int) AS kept`,
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
  }
}
