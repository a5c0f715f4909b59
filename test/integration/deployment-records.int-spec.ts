// DeploymentRecords on real PostgreSQL: the engine reads a deployment's
// hosts on every decision, re-fetching only the rows whose version changed.
// These tests prove a re-read never serves a stale row, whoever changed it,
// and that writes grouped into one statement (write-ahead, host ends) still
// land, and fail, host by host.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { parseConfig } from '@vulnzero/config';
import { postgresOptions } from '@vulnzero/database';
import { DeploymentEntity, DeploymentHostClaimEntity, DeploymentHostEntity, DeploymentStepEntity } from '@vulnzero/deployments';
// Not part of the lib's public surface: the engine's own record port.
import { DeploymentRecords } from '../../libs/deployments/src/deployment-records';
import { appEnv } from '../harness/test-env';

jest.setTimeout(60_000);

describe('DeploymentRecords', () => {
  let db: DataSource;
  let records: DeploymentRecords;

  beforeAll(async () => {
    const config = parseConfig(appEnv(), 'worker');
    db = new DataSource({
      ...postgresOptions(config.databaseUrl, 'deployment-records-int'),
      entities: [DeploymentEntity, DeploymentStepEntity, DeploymentHostEntity, DeploymentHostClaimEntity],
    });
    await db.initialize();
    records = new DeploymentRecords(db);
  });

  afterAll(async () => {
    await db?.destroy();
  });

  async function aDeployment(hosts: number): Promise<{ id: string; hostIds: string[] }> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO deployments (id, patch_id, strategy, targets, request_hash, created_by)
       VALUES ($1, $2, '{"type":"all-at-once"}', '{"hostIds":[]}', 'test', 'records-int')`,
      [id, randomUUID()],
    );
    const hostIds = Array.from({ length: hosts }, () => randomUUID());
    for (const [position, hostId] of hostIds.entries()) {
      await db.query(
        `INSERT INTO deployment_hosts (deployment_id, host_id, position, host_name, address, port, step)
         VALUES ($1, $2, $3, $4, '127.0.0.1', 22, 0)`,
        [id, hostId, position, `h${position}`],
      );
    }
    return { id, hostIds };
  }

  it('sees every change made since its last read, by this process or any other writer', async () => {
    const { id, hostIds } = await aDeployment(5);
    const first = await records.load(id);
    expect(first?.hosts.map((h) => h.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);

    // Through the records, and behind their back (another worker, an operator's SQL).
    await records.storeRollback(id, hostIds[1] as string, { v: '1' }, ["printf %s '1' > f"]);
    await db.query(`UPDATE deployment_hosts SET status = 'failed', error = 'outside' WHERE deployment_id = $1 AND host_id = $2`, [id, hostIds[3]]);
    const second = await records.load(id);
    expect(second?.hosts.map((h) => [h.hostId, h.status, h.error])).toEqual([
      [hostIds[0], 'pending', null],
      [hostIds[1], 'applying', null],
      [hostIds[2], 'pending', null],
      [hostIds[3], 'failed', 'outside'],
      [hostIds[4], 'pending', null],
    ]);
    expect(second?.hosts[1]?.rollbackCommands).toEqual(["printf %s '1' > f"]);
    expect(second?.hosts[1]?.rollbackStoredAt).toBeInstanceOf(Date);

    // Two updates of one row in one transaction, then a host added: still the truth.
    await db.transaction(async (manager) => {
      await manager.query(`UPDATE deployment_hosts SET status = 'verifying' WHERE deployment_id = $1 AND host_id = $2`, [id, hostIds[1]]);
      await manager.query(`UPDATE deployment_hosts SET status = 'healthy' WHERE deployment_id = $1 AND host_id = $2`, [id, hostIds[1]]);
    });
    await db.query(
      `INSERT INTO deployment_hosts (deployment_id, host_id, position, host_name, address, port, step) VALUES ($1, $2, 5, 'h5', '127.0.0.1', 22, 1)`,
      [id, randomUUID()],
    );
    const third = await records.load(id);
    expect(third?.hosts.map((h) => h.status)).toEqual(['pending', 'healthy', 'pending', 'failed', 'pending', 'pending']);
    expect(third?.hosts.map((h) => h.hostName)).toEqual(['h0', 'h1', 'h2', 'h3', 'h4', 'h5']);
  });

  it('hands out copies: changing a loaded host does not change the next load', async () => {
    const { id } = await aDeployment(2);
    const first = await records.load(id);
    (first?.hosts[0] as DeploymentHostEntity).status = 'capturing';
    const second = await records.load(id);
    expect(second?.hosts.map((h) => h.status)).toEqual(['pending', 'pending']);
    expect(second?.hosts[0]).toBeInstanceOf(DeploymentHostEntity);
  });

  it('stores the write-ahead of hosts arriving together in shared statements, each caller settling when its own row is committed', async () => {
    const a = await aDeployment(30);
    const b = await aDeployment(3);
    const gone = randomUUID();
    const writes = [
      ...a.hostIds.map((hostId, i) => records.storeRollback(a.id, hostId, { v: String(i) }, [`printf %s '${i}' > f`])),
      ...b.hostIds.map((hostId) => records.storeRollback(b.id, hostId, { v: 'b' }, ['true'])),
      records.storeRollback(a.id, gone, { v: 'x' }, ['true']),
    ];
    const settled = await Promise.allSettled(writes);
    // Only the host that has no row fails, with its own error.
    expect(settled.slice(0, 33).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(settled[33]).toEqual({ status: 'rejected', reason: new Error(`could not store the rollback of host ${gone}`) });
    const rows: { host_id: string; status: string; captured: { v: string }; rollback_commands: string[]; stored: boolean }[] = await db.query(
      `SELECT host_id, status, captured, rollback_commands, rollback_stored_at IS NOT NULL AS stored FROM deployment_hosts WHERE deployment_id = $1 ORDER BY position`,
      [a.id],
    );
    expect(rows.map((r) => [r.status, r.captured.v, r.rollback_commands[0], r.stored])).toEqual(
      a.hostIds.map((_, i) => ['applying', String(i), `printf %s '${i}' > f`, true]),
    );
    const others: { status: string }[] = await db.query(`SELECT status FROM deployment_hosts WHERE deployment_id = $1`, [b.id]);
    expect(others.map((r) => r.status)).toEqual(['applying', 'applying', 'applying']);
  });

  it('records the end of hosts finishing together: status, exit code, error, end time and appended output, per host', async () => {
    const { id, hostIds } = await aDeployment(4);
    await records.markVerifying(id, hostIds[0] as string);
    const before = await records.load(id);
    expect(before?.hosts[0]?.status).toBe('verifying');
    const finishedAt = new Date('2026-11-25T12:00:00.000Z');
    const record = (phase: 'apply' | 'health', exitCode: number) => ({
      phase,
      command: 'true',
      exitCode,
      stdout: '',
      stderr: '',
      durationMs: 1,
      timedOut: false,
      at: finishedAt.toISOString(),
    });
    await Promise.all([
      records.finishHost(id, hostIds[0] as string, [record('apply', 0), record('health', 0)], { status: 'healthy', exitCode: 0, error: null, finishedAt }),
      records.finishHost(id, hostIds[1] as string, [record('apply', 3)], { status: 'failed', exitCode: 3, error: "apply: exit 3", finishedAt }),
      records.finishHost(id, hostIds[2] as string, [], { status: 'failed', exitCode: null, error: 'connect: refused', finishedAt }),
    ]);
    const rows: { status: string; exit_code: number | null; error: string | null; finished_at: Date | null; output: { phase: string }[] }[] = await db.query(
      `SELECT status, exit_code, error, finished_at, output FROM deployment_hosts WHERE deployment_id = $1 ORDER BY position`,
      [id],
    );
    expect(rows.map((r) => [r.status, r.exit_code, r.error, r.finished_at?.toISOString() ?? null, r.output.map((o) => o.phase)])).toEqual([
      ['healthy', 0, null, finishedAt.toISOString(), ['apply', 'health']],
      ['failed', 3, 'apply: exit 3', finishedAt.toISOString(), ['apply']],
      ['failed', null, 'connect: refused', finishedAt.toISOString(), []],
      ['pending', null, null, null, []],
    ]);
    await expect(records.finishHost(id, randomUUID(), [], { status: 'healthy', exitCode: 0, error: null, finishedAt })).rejects.toThrow(/could not record the end of host/);
  });
});

