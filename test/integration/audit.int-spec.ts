// The audit trail on real PostgreSQL: two "gateways" (separate Nest contexts
// with their own connection pools) append at once, the trigger refuses
// changes, and a superuser's edit is caught by verification.
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Client } from 'pg';
import { AuditEventEntity, AuditModule, AuditService, GENESIS_HASH } from '@vulnzero/audit';
import { postgresOptions } from '@vulnzero/database';
import { randomSuffix } from '../harness/test-env';

jest.setTimeout(60_000);

const databaseUrl = (): string => {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (global setup)');
  return url;
};

async function startAuditContext(name: string): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [TypeOrmModule.forRoot({ ...postgresOptions(databaseUrl(), name), entities: [AuditEventEntity] }), AuditModule],
  }).compile();
  return moduleRef.init();
}

interface StoredRow {
  id: string;
  request_id: string | null;
  actor_name: string | null;
  prev_hash: string;
  hash: string;
}

describe('audit trail on PostgreSQL', () => {
  let gatewayA: INestApplicationContext;
  let gatewayB: INestApplicationContext;
  let sql: Client;
  const run = `audit-int-${randomSuffix()}`;

  beforeAll(async () => {
    [gatewayA, gatewayB] = await Promise.all([startAuditContext('audit-int-a'), startAuditContext('audit-int-b')]);
    sql = new Client({ connectionString: databaseUrl() });
    await sql.connect();
  });

  afterAll(async () => {
    // Never leave the table unprotected for the suites that follow.
    await sql?.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only').catch(() => undefined);
    await sql?.end();
    await Promise.all([gatewayA?.close(), gatewayB?.close()]);
  });

  const ownRows = async (): Promise<StoredRow[]> =>
    (
      await sql.query<StoredRow>(
        'SELECT id::text AS id, request_id, actor_name, prev_hash, hash FROM audit_events WHERE request_id LIKE $1 ORDER BY audit_events.id',
        [`${run}-%`],
      )
    ).rows;

  it('keeps one valid, gap-free chain when two gateways append 50 events each at once', async () => {
    const a = gatewayA.get(AuditService);
    const b = gatewayB.get(AuditService);
    const append = (service: AuditService, gateway: string, index: number) =>
      service.record({
        actorKind: 'user',
        actorId: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
        actorName: `${gateway}-caller`,
        action: 'POST /hosts',
        resourceType: 'hosts',
        requestId: `${run}-${gateway}-${index}`,
        address: '127.0.0.1',
        outcome: index % 7 === 0 ? 'denied' : 'success',
        statusCode: index % 7 === 0 ? 403 : 201,
        detail: { gateway, index, ratio: 0.5 },
      });
    // Per gateway: a burst of 25 at once (batched into few transactions) while
    // 25 more go one by one, so both pools contend for the chain lock.
    const gateway = async (service: AuditService, name: string) => {
      const burst = Promise.all(Array.from({ length: 25 }, (_, index) => append(service, name, index)));
      const oneByOne = [];
      for (let index = 25; index < 50; index += 1) oneByOne.push(await append(service, name, index));
      return [...(await burst), ...oneByOne];
    };
    const started = Date.now();
    const written = (await Promise.all([gateway(a, 'a'), gateway(b, 'b')])).flat();
    const elapsedMs = Date.now() - started;

    expect(new Set(written.map((event) => event.id)).size).toBe(100);
    const rows = await ownRows();
    expect(rows).toHaveLength(100);
    expect(new Set(rows.map((row) => row.request_id)).size).toBe(100);

    // Gap-free: the whole table is one chain from the genesis hash, each row
    // linked to the one before it, ids consecutive.
    const all = (await sql.query<StoredRow>('SELECT id::text AS id, prev_hash, hash FROM audit_events ORDER BY audit_events.id')).rows;
    expect(all[0]?.prev_hash).toBe(GENESIS_HASH);
    all.forEach((row, index) => {
      if (index === 0) return;
      expect(row.prev_hash).toBe(all[index - 1]?.hash);
      expect(BigInt(row.id)).toBe(BigInt(all[index - 1]?.id as string) + 1n);
    });

    const head = { id: all[all.length - 1]?.id, hash: all[all.length - 1]?.hash, count: all.length };
    expect(await a.verify()).toEqual({ valid: true, checked: all.length, head });
    // Small batches prove verification streams: same verdict, same count, same head.
    expect(await b.verify({ batchSize: 7 })).toEqual({ valid: true, checked: all.length, head });
    // Generous bound: on a laptop this takes well under a second.
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it('returns what it stored, with the hash the chain holds', async () => {
    const service = gatewayA.get(AuditService);
    const event = await service.record({
      actorKind: 'anonymous',
      actorName: 'someone\u0000odd',
      action: 'worker.rollback',
      resourceType: 'deployment',
      resourceId: 'd-1',
      requestId: `${run}-single`,
      outcome: 'failure',
      detail: { reason: 'host unhealthy' },
    });
    const page = await service.list({ limit: 1 });
    expect(page.items[0]).toEqual(event);
    expect(event).toEqual(expect.objectContaining({ actorName: 'someoneodd', statusCode: null, detail: { reason: 'host unhealthy' } }));
  });

  it('pages newest first with an opaque cursor and refuses a forged one', async () => {
    const service = gatewayB.get(AuditService);
    const first = await service.list({ limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await service.list({ cursor: first.nextCursor as string, limit: 3 });
    const ids = [...first.items, ...second.items].map((item) => BigInt(item.id));
    expect(ids).toEqual([...ids].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0)));
    expect(new Set(ids).size).toBe(6);
    await expect(service.list({ cursor: 'not-a-cursor', limit: 3 })).rejects.toThrow(/cursor/);
  });

  it.each([
    ['UPDATE', (id: string) => `UPDATE audit_events SET actor_name = 'mallory' WHERE id = ${id}`],
    ['DELETE', (id: string) => `DELETE FROM audit_events WHERE id = ${id}`],
    ['TRUNCATE', () => 'TRUNCATE audit_events'],
    ['an UPDATE that matches no row', () => `UPDATE audit_events SET actor_name = 'mallory' WHERE id = -1`],
  ])('refuses %s with the append-only trigger', async (_name, statement) => {
    const [row] = await ownRows();
    await expect(sql.query(statement(row?.id as string))).rejects.toThrow('audit_events is append-only');
    expect((await ownRows())[0]).toEqual(row);
  });

  it('reports the exact row a superuser changed behind the trigger, and is valid again once restored', async () => {
    const service = gatewayA.get(AuditService);
    const rows = await ownRows();
    const victim = rows[37] as StoredRow;
    try {
      await sql.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      await sql.query(`UPDATE audit_events SET actor_name = 'mallory' WHERE id = $1`, [victim.id]);
    } finally {
      await sql.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    }
    const total = Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM audit_events')).rows[0]?.n);
    const position = Number(
      (await sql.query<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE id <= $1', [victim.id])).rows[0]?.n,
    );

    // A broken chain still reports its head, counting every row.
    const head = expect.objectContaining({ count: total });
    expect(await service.verify()).toEqual({ valid: false, checked: position, firstBrokenId: victim.id, head });
    expect(await gatewayB.get(AuditService).verify({ batchSize: 5 })).toEqual({
      valid: false,
      checked: position,
      firstBrokenId: victim.id,
      head,
    });

    try {
      await sql.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      await sql.query('UPDATE audit_events SET actor_name = $1 WHERE id = $2', [victim.actor_name, victim.id]);
    } finally {
      await sql.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    }
    expect(await service.verify()).toEqual({ valid: true, checked: total, head: expect.objectContaining({ count: total }) });
  });
});
