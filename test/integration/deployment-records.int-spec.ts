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
import { DeploymentLease } from '../../libs/deployments/src/deployment-lease';
import { LEASE_HOLDER } from '../../libs/deployments/src/lease-holder';
import { appEnv } from '../harness/test-env';

jest.setTimeout(60_000);

describe('DeploymentRecords', () => {
  let db: DataSource;
  let records: DeploymentRecords;
  let lease: DeploymentLease;

  beforeAll(async () => {
    const config = parseConfig(appEnv(), 'worker');
    db = new DataSource({
      ...postgresOptions(config.databaseUrl, 'deployment-records-int'),
      entities: [DeploymentEntity, DeploymentStepEntity, DeploymentHostEntity, DeploymentHostClaimEntity],
    });
    await db.initialize();
    records = new DeploymentRecords(db);
    lease = new DeploymentLease(db, config);
  });

  afterAll(async () => {
    await db?.destroy();
  });

  /** A deployment whose lease this process holds (as a worker driving it), its hosts in `status`. */
  async function aDeployment(hosts: number, status = 'pending'): Promise<{ id: string; hostIds: string[] }> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO deployments (id, patch_id, strategy, targets, request_hash, created_by, status, lease_owner, lease_until)
       VALUES ($1, $2, '{"type":"all-at-once"}', '{"hostIds":[]}', 'test', 'records-int', 'running', $3, now() + interval '1 minute')`,
      [id, randomUUID(), LEASE_HOLDER],
    );
    const hostIds = Array.from({ length: hosts }, () => randomUUID());
    for (const [position, hostId] of hostIds.entries()) {
      await db.query(
        `INSERT INTO deployment_hosts (deployment_id, host_id, position, host_name, address, port, step, status)
         VALUES ($1, $2, $3, $4, '127.0.0.1', 22, 0, $5)`,
        [id, hostId, position, `h${position}`, status],
      );
    }
    return { id, hostIds };
  }

  const hostStatus = async (id: string, hostId: string): Promise<string> =>
    (
      (await db.query(`SELECT status FROM deployment_hosts WHERE deployment_id = $1 AND host_id = $2`, [id, hostId])) as {
        status: string;
      }[]
    )[0]!.status;

  const anEnd = (status: 'healthy' | 'failed') => ({ status, exitCode: status === 'healthy' ? 0 : 1, error: null, finishedAt: new Date() });

  it('sees every change made since its last read, by this process or any other writer', async () => {
    const { id, hostIds } = await aDeployment(5);
    const first = await records.load(id);
    expect(first?.hosts.map((h) => h.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);

    // Through the records, and behind their back (another worker, an operator's SQL).
    await db.query(`UPDATE deployment_hosts SET status = 'capturing' WHERE deployment_id = $1 AND host_id = $2`, [id, hostIds[1]]);
    await records.storeRollback(id, hostIds[1] as string, { v: '1' }, ["printf %s '1' > f"]);
    await db.query(`UPDATE deployment_hosts SET status = 'failed', error = 'outside' WHERE deployment_id = $1 AND host_id = $2`, [
      id,
      hostIds[3],
    ]);
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
    const a = await aDeployment(30, 'capturing');
    const b = await aDeployment(3, 'capturing');
    const gone = randomUUID();
    const writes = [
      ...a.hostIds.map((hostId, i) => records.storeRollback(a.id, hostId, { v: String(i) }, [`printf %s '${i}' > f`])),
      ...b.hostIds.map((hostId) => records.storeRollback(b.id, hostId, { v: 'b' }, ['true'])),
      records.storeRollback(a.id, gone, { v: 'x' }, ['true']),
    ];
    const settled = await Promise.allSettled(writes);
    // Only the host that has no row fails, with its own error.
    expect(settled.slice(0, 33).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(settled[33]).toEqual({
      status: 'rejected',
      reason: new Error(`could not store the rollback of host (its record changed meanwhile, or this worker lost the lease) ${gone}`),
    });
    const rows: { host_id: string; status: string; captured: { v: string }; rollback_commands: string[]; stored: boolean }[] =
      await db.query(
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
    const { id, hostIds } = await aDeployment(4, 'applying');
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
      records.finishHost(id, hostIds[0] as string, [record('apply', 0), record('health', 0)], {
        status: 'healthy',
        exitCode: 0,
        error: null,
        finishedAt,
      }),
      records.finishHost(id, hostIds[1] as string, [record('apply', 3)], {
        status: 'failed',
        exitCode: 3,
        error: 'apply: exit 3',
        finishedAt,
      }),
      records.finishHost(id, hostIds[2] as string, [], { status: 'failed', exitCode: null, error: 'connect: refused', finishedAt }),
    ]);
    const rows: {
      status: string;
      exit_code: number | null;
      error: string | null;
      finished_at: Date | null;
      output: { phase: string }[];
    }[] = await db.query(
      `SELECT status, exit_code, error, finished_at, output FROM deployment_hosts WHERE deployment_id = $1 ORDER BY position`,
      [id],
    );
    expect(rows.map((r) => [r.status, r.exit_code, r.error, r.finished_at?.toISOString() ?? null, r.output.map((o) => o.phase)])).toEqual([
      ['healthy', 0, null, finishedAt.toISOString(), ['apply', 'health']],
      ['failed', 3, 'apply: exit 3', finishedAt.toISOString(), ['apply']],
      ['failed', null, 'connect: refused', finishedAt.toISOString(), []],
      ['applying', null, null, null, []],
    ]);
    await expect(records.finishHost(id, randomUUID(), [], { status: 'healthy', exitCode: 0, error: null, finishedAt })).rejects.toThrow(
      /could not record the end of host/,
    );
  });

  describe('fenced writes (a worker that lost its lease, or a row that moved on, writes nothing)', () => {
    it('refuses the write-ahead, host ends, starts and status changes of a worker whose lease another worker took', async () => {
      const { id, hostIds } = await aDeployment(4, 'capturing');
      await db.query(`UPDATE deployment_hosts SET status = 'pending' WHERE deployment_id = $1 AND host_id = $2`, [id, hostIds[3]]);
      await db.query(`UPDATE deployments SET lease_owner = 'another-worker', lease_until = now() + interval '1 minute' WHERE id = $1`, [
        id,
      ]);
      await expect(records.storeRollback(id, hostIds[0] as string, { v: '1' }, ['true'])).rejects.toThrow(/lost the lease/);
      await expect(records.finishHost(id, hostIds[1] as string, [], anEnd('failed'))).rejects.toThrow(/lost the lease/);
      await expect(records.transitionHost(id, hostIds[2] as string, 'capturing', 'failed')).rejects.toThrow(
        /no longer holds the deployment's lease/,
      );
      expect(await records.startHosts(id, [hostIds[3] as string])).toEqual([]);
      await expect(records.transitionDeployment(id, 'running', 'failed')).rejects.toThrow(/no longer holds/);
      await expect(records.transitionStep(id, 0, 'pending', 'running')).rejects.toThrow(/no longer holds/);
      const rows: { status: string; stored: boolean }[] = await db.query(
        `SELECT status, rollback_stored_at IS NOT NULL AS stored FROM deployment_hosts WHERE deployment_id = $1 ORDER BY position`,
        [id],
      );
      expect(rows).toEqual([
        { status: 'capturing', stored: false },
        { status: 'capturing', stored: false },
        { status: 'capturing', stored: false },
        { status: 'pending', stored: false },
      ]);
      expect(((await db.query(`SELECT status FROM deployments WHERE id = $1`, [id])) as { status: string }[])[0]!.status).toBe('running');
    });

    it('renews only a lease this worker still holds: one another worker took, or one released meanwhile, is never taken back', async () => {
      const { id } = await aDeployment(1);
      expect(await lease.renew(id, 60_000)).toBe(true);
      await db.query(`UPDATE deployments SET lease_owner = 'another-worker' WHERE id = $1`, [id]);
      expect(await lease.renew(id, 60_000)).toBe(false);
      await db.query(`UPDATE deployments SET lease_owner = NULL, lease_until = NULL WHERE id = $1`, [id]);
      expect(await lease.renew(id, 60_000)).toBe(false);
      const [row] = (await db.query(`SELECT lease_owner FROM deployments WHERE id = $1`, [id])) as { lease_owner: string | null }[];
      expect(row?.lease_owner).toBeNull();
    });

    it('refuses the write-ahead when the lease is about to run out, so no host is told to go on at its edge', async () => {
      const { id, hostIds } = await aDeployment(1, 'capturing');
      await db.query(`UPDATE deployments SET lease_until = now() + interval '200 milliseconds' WHERE id = $1`, [id]);
      await expect(records.storeRollback(id, hostIds[0] as string, { v: '1' }, ['true'])).rejects.toThrow(/lost the lease/);
      expect(await hostStatus(id, hostIds[0] as string)).toBe('capturing');
    });

    it("keeps a host's end when its write-ahead commits late (the channel died while the rollback was being stored)", async () => {
      const { id, hostIds } = await aDeployment(1, 'capturing');
      const hostId = hostIds[0] as string;
      await records.finishHost(id, hostId, [], {
        status: 'failed',
        exitCode: null,
        error: 'capture: channel closed',
        finishedAt: new Date(),
      });
      await expect(records.storeRollback(id, hostId, { v: '1' }, ['true'])).rejects.toThrow(/could not store the rollback/);
      expect(await hostStatus(id, hostId)).toBe('failed');
    });

    it('writes a status only over one the transition table allows it to follow', async () => {
      const { id, hostIds } = await aDeployment(2, 'healthy');
      await expect(records.finishHost(id, hostIds[0] as string, [], anEnd('healthy'))).rejects.toThrow(/could not record the end of host/);
      await expect(records.transitionHost(id, hostIds[1] as string, 'healthy', 'pending')).rejects.toThrow(
        /cannot go from healthy to pending/,
      );
      await expect(records.transitionHost(id, hostIds[1] as string, 'failed', 'rolling_back')).rejects.toThrow(/record changed meanwhile/);
      await expect(records.transitionDeployment(id, 'running', 'pending')).rejects.toThrow(/cannot go from running to pending/);
      expect([await hostStatus(id, hostIds[0] as string), await hostStatus(id, hostIds[1] as string)]).toEqual(['healthy', 'healthy']);
    });
  });
});
