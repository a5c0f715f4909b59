import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { sealAuditRows, GENESIS_HASH } from '../../libs/audit/src/core/audit-chain';
import { AUDIT_CHAIN_LOCK_KEY } from '../../libs/audit/src/audit.service';
import { AppProcess, startGateway } from '../harness/app-process';
import { ApiClient, ApiResponse, TEST_ADMIN } from '../harness/api-client';
import { randomSuffix } from '../harness/test-env';

jest.setTimeout(120_000);

// Cursor pagination never skips or repeats a row, even among rows written in
// one transaction (they share created_at, to the microsecond). Every list
// route is walked over HTTP with a small limit, so that most pages end inside
// such a group. Deployments and scans are listed through GET /tasks?type=.
// Rows are written with plain SQL into the suite's database, each route's
// rows in ONE transaction.

const ROWS = 60;
const LIMIT = 7;

interface Walk {
  ids: string[];
  pages: number;
}

describe('cursor pagination of every list route (real gateway, PostgreSQL)', () => {
  const run = randomSuffix();
  let gateway: AppProcess;
  let admin: ApiClient;
  let db: Client;
  let adminId: string;

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    gateway = await startGateway();
    admin = await new ApiClient(gateway.url).login(TEST_ADMIN.username, TEST_ADMIN.password);
    adminId = (await admin.get('/auth/me')).body.id;
  });

  /** What each test wrote, newest last: removed after it (the append-only audit trail aside), so other suites' lists stay theirs. */
  let written: { table: string; ids: string[] }[] = [];

  afterEach(async () => {
    for (const { table, ids } of written.reverse()) await db.query(`DELETE FROM ${table} WHERE id::text = ANY($1)`, [ids]);
    written = [];
  });

  afterAll(async () => {
    await gateway?.stop();
    await db?.end();
  });

  /** Runs `write` in one transaction, so every row it inserts shares now(). */
  async function inOneTransaction(write: (db: Client) => Promise<void>): Promise<void> {
    await db.query('BEGIN');
    try {
      await write(db);
      await db.query('COMMIT');
    } catch (error) {
      await db.query('ROLLBACK');
      throw error;
    }
  }

  /** Inserts `count` rows of `table`, one statement per row (same transaction), returning their ids. */
  async function insertRows(table: string, count: number, row: (i: number) => Record<string, unknown>): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const values = row(i);
      const columns = Object.keys(values);
      const placeholders = columns.map((_, index) => `$${index + 1}`);
      const result = await db.query(
        `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING id::text AS id`,
        Object.values(values),
      );
      ids.push(result.rows[0].id as string);
    }
    written.push({ table, ids });
    return ids;
  }

  /** Follows nextCursor from the first page to the last; every page must answer 200. */
  async function walk(path: string, idOf: (item: any) => string = (item) => item.id): Promise<Walk> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const response: ApiResponse = await admin.get(
        `${path}${separator}limit=${LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect({ path, status: response.status, body: response.status === 200 ? 'ok' : response.body }).toEqual({
        path,
        status: 200,
        body: 'ok',
      });
      expect(response.body.items.length).toBeLessThanOrEqual(LIMIT);
      ids.push(...(response.body.items as any[]).map(idOf));
      cursor = response.body.nextCursor;
      pages += 1;
      if (pages > 1000) throw new Error(`${path}: more than 1000 pages, the cursor does not advance`);
    } while (cursor);
    return { ids, pages };
  }

  /** The route's order as PostgreSQL defines it, for the rows this test wrote. */
  async function expectedOrder(table: string, ids: string[], orderBy = 'created_at DESC, id DESC'): Promise<string[]> {
    // Not aliased `id`: ORDER BY would then sort the text, not the column.
    const result = await db.query(`SELECT id::text AS row_id FROM ${table} WHERE id::text = ANY($1) ORDER BY ${orderBy}`, [ids]);
    return result.rows.map((r) => r.row_id as string);
  }

  /** Every row once (no page repeats any row), and the rows written here in the route's order. */
  async function expectEveryRowOnceInOrder(path: string, table: string, ids: string[], orderBy?: string, idOf?: (item: any) => string) {
    const walked = await walk(path, idOf);
    expect(new Set(walked.ids).size).toBe(walked.ids.length);
    const mine = new Set(ids);
    expect(walked.ids.filter((id) => mine.has(id))).toEqual(await expectedOrder(table, ids, orderBy));
    expect(walked.pages).toBeGreaterThan(ids.length / LIMIT);
  }

  it('walks every patch written in one transaction, each once, newest first', async () => {
    let ids: string[] = [];
    await inOneTransaction(async () => {
      ids = await insertRows('patches', ROWS, (i) => ({
        name: `paging-${run}-patch-${i}`,
        definition: JSON.stringify({ apply: ['true'], rollback: ['true'], timeoutSeconds: 60 }),
        created_by: 'paging-test',
      }));
      // A few of them microseconds apart inside one millisecond: a cursor rounded to milliseconds skips them too.
      await db.query(`UPDATE patches SET created_at = now() - (random() * 900)::int * interval '1 microsecond' WHERE id::text = ANY($1)`, [
        ids.slice(0, 20),
      ]);
    });
    await expectEveryRowOnceInOrder('/patches', 'patches', ids);
    await expectEveryRowOnceInOrder('/patches?status=draft', 'patches', ids);
  });

  it('walks every finding a scan wrote in one transaction, each once, newest first', async () => {
    const credentialId = randomUUID();
    let hostId = '';
    let ids: string[] = [];
    const advisoryId = `PAGING-${run}`;
    await inOneTransaction(async () => {
      await insertCredentials([credentialId], `paging-${run}-finding-key`);
      [hostId] = await insertRows('hosts', 1, () => ({
        name: `paging-${run}-finding-host`,
        address: '127.81.0.1',
        credential_id: credentialId,
      }));
      await db.query(`INSERT INTO advisories (id, modified, severity, record) VALUES ($1, now(), 'high', '{}'::jsonb)`, [advisoryId]);
      written.push({ table: 'advisories', ids: [advisoryId] });
      const scanId = randomUUID();
      ids = await insertRows('findings', ROWS, (i) => ({
        host_id: hostId,
        package: `pkg-${i}`,
        advisory_id: advisoryId,
        matched_name: `pkg-${i}`,
        installed_version: '1.0',
        fixed_version: '1.1',
        severity: 'high',
        first_seen_at: new Date(),
        last_seen_at: new Date(),
        first_scan_id: scanId,
        last_scan_id: scanId,
      }));
    });
    await expectEveryRowOnceInOrder('/findings', 'findings', ids);
    await expectEveryRowOnceInOrder(`/findings?hostId=${hostId}`, 'findings', ids);
    await expectEveryRowOnceInOrder(`/findings?advisoryId=${advisoryId}&severity=high`, 'findings', ids);
  });

  it('walks every task (and the deployments and scans listed as tasks) written in one transaction, each once, newest first', async () => {
    const ids: Record<'deploy' | 'scan' | 'rollback', string[]> = { deploy: [], scan: [], rollback: [] };
    await inOneTransaction(async () => {
      for (const type of ['deploy', 'scan', 'rollback'] as const) {
        ids[type] = await insertRows('tasks', ROWS / 2, () => ({ type, created_by: 'paging-test', status: 'succeeded' }));
      }
    });
    await expectEveryRowOnceInOrder('/tasks', 'tasks', [...ids.deploy, ...ids.scan, ...ids.rollback]);
    await expectEveryRowOnceInOrder('/tasks?type=deploy', 'tasks', ids.deploy);
    await expectEveryRowOnceInOrder('/tasks?type=scan&status=succeeded', 'tasks', ids.scan);
  });

  it('walks every user written in one transaction, each once, newest first', async () => {
    let ids: string[] = [];
    await inOneTransaction(async () => {
      ids = await insertRows('users', ROWS, (i) => ({ username: `paging-${run}-user-${i}`, password_hash: 'not-a-hash', role: 'viewer' }));
    });
    await expectEveryRowOnceInOrder('/users', 'users', ids);
  });

  it('walks every API key written in one transaction, each once, newest first', async () => {
    let ids: string[] = [];
    await inOneTransaction(async () => {
      ids = await insertRows('api_keys', ROWS, (i) => ({
        name: `paging-${run}-key-${i}`,
        prefix: `vz_${randomBytes(6).toString('hex')}`,
        key_hash: randomBytes(32).toString('hex'),
        role: 'viewer',
        owner_id: adminId,
      }));
    });
    await expectEveryRowOnceInOrder('/api-keys', 'api_keys', ids);
  });

  it('walks every maintenance window written in one transaction, each once, newest first', async () => {
    let ids: string[] = [];
    await inOneTransaction(async () => {
      ids = await insertRows('maintenance_windows', ROWS, (i) => ({
        name: `paging-${run}-window-${i}`,
        recurrence: '0 2 * * *',
        duration: '1h',
        timezone: 'UTC',
        created_by: 'paging-test',
      }));
    });
    await expectEveryRowOnceInOrder('/maintenance-windows', 'maintenance_windows', ids);
  });

  it('walks every audit event appended in one transaction, each once, newest first', async () => {
    let ids: string[] = [];
    await inOneTransaction(async () => {
      // Appended as AuditService appends (under its lock, chained onto the head), so the chain stays valid.
      await db.query('SELECT pg_advisory_xact_lock($1::bigint)', [AUDIT_CHAIN_LOCK_KEY]);
      const head = await db.query(
        `WITH last AS (SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1)
         SELECT (SELECT hash FROM last) AS last_hash,
                ARRAY(SELECT (coalesce((SELECT id FROM last), 0) + n)::text FROM generate_series(1, $1::int) AS n) AS ids,
                setval(pg_get_serial_sequence('audit_events', 'id'), coalesce((SELECT id FROM last), 0) + $1::int) AS kept`,
        [ROWS],
      );
      const occurredAt = new Date();
      const rows = sealAuditRows(
        head.rows[0].last_hash ?? GENESIS_HASH,
        (head.rows[0].ids as string[]).map((id, i) => ({
          id,
          occurredAt,
          actorKind: 'user' as const,
          actorId: adminId,
          actorName: 'admin',
          action: `paging.test.${i}`,
          resourceType: null,
          resourceId: null,
          requestId: `paging-${run}`,
          address: null,
          outcome: 'success' as const,
          statusCode: 200,
          detail: {},
        })),
      );
      for (const row of rows) {
        await db.query(
          `INSERT INTO audit_events (id, occurred_at, actor_kind, actor_id, actor_name, action, resource_type, resource_id,
                                     request_id, address, outcome, status_code, detail, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
          [
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
          ],
        );
      }
      ids = rows.map((row) => row.id);
    });
    await expectEveryRowOnceInOrder('/audit', 'audit_events', ids, 'id DESC');
    expect((await admin.get('/audit/verify')).body).toEqual(expect.objectContaining({ valid: true }));
  });

  async function insertCredentials(ids: string[], name: string): Promise<void> {
    for (const [i, id] of ids.entries()) {
      await db.query(
        `INSERT INTO credentials (id, name, username, public_key, public_key_fingerprint, key_id,
                                  private_key_ciphertext, private_key_iv, private_key_tag)
         VALUES ($1, $2, 'vz', 'ssh-ed25519 AAAA', 'SHA256:paging', 'paging', $3, $4, $5)`,
        [id, ids.length === 1 ? name : `${name}-${i}`, randomBytes(32), randomBytes(12), randomBytes(16)],
      );
    }
    written.push({ table: 'credentials', ids });
  }

  it('walks every credential and host written in one transaction, each once, by name', async () => {
    const credentialIds = Array.from({ length: ROWS }, () => randomUUID());
    let hostIds: string[] = [];
    await inOneTransaction(async () => {
      await insertCredentials(credentialIds, `paging-${run}-credential`);
      hostIds = await insertRows('hosts', ROWS, (i) => ({
        name: `paging-${run}-host-${i}`,
        address: `127.81.1.${i + 1}`,
        credential_id: credentialIds[0],
        labels: JSON.stringify({ paging: run }),
      }));
    });
    await expectEveryRowOnceInOrder('/credentials', 'credentials', credentialIds, 'name ASC');
    await expectEveryRowOnceInOrder('/hosts', 'hosts', hostIds, 'name ASC');
    await expectEveryRowOnceInOrder(`/hosts?label=paging=${run}`, 'hosts', hostIds, 'name ASC');
  });

  it('answers a cursor issued before cursors carried microseconds with 400 naming cursor and saying to start again', async () => {
    // The earlier format: the row's created_at as a JavaScript Date prints it, then its id.
    const millisecondCursor = Buffer.from(`${new Date().toISOString()}|${randomUUID()}`, 'utf8').toString('base64url');
    for (const path of ['/patches', '/tasks', '/users', '/api-keys', '/findings', '/maintenance-windows']) {
      const response = await admin.get(`${path}?limit=${LIMIT}&cursor=${millisecondCursor}`);
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(String(response.body.message)).toMatch(/^cursor: .*first page/);
    }
  });
});
