// DeploymentRecords.load on real PostgreSQL: the engine reads a deployment's
// hosts on every decision, re-fetching only the rows whose version changed.
// These tests prove a re-read never serves a stale row, whoever changed it.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { parseConfig } from '@vulnzero/config';
import { postgresOptions } from '@vulnzero/database';
import { DeploymentEntity, DeploymentHostClaimEntity, DeploymentHostEntity, DeploymentStepEntity } from '@vulnzero/deployments';
// Not part of the lib's public surface: the engine's own record port.
import { DeploymentRecords } from '../../libs/deployments/src/deployment-records';
import { appEnv } from '../harness/test-env';

jest.setTimeout(60_000);

describe('DeploymentRecords.load', () => {
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
});
