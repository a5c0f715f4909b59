// DeploymentEndings on real PostgreSQL: a deployment whose job was given up
// ends in one transaction (status, hosts left mid-way, open steps, claims),
// and only if it is still where it was read and no live worker holds it.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { parseConfig } from '@vulnzero/config';
import { postgresOptions } from '@vulnzero/database';
import {
  DeploymentEntity,
  DeploymentHostClaimEntity,
  DeploymentHostEntity,
  DeploymentStepEntity,
  giveUpPlan,
  GiveUpHost,
} from '@vulnzero/deployments';
// Not part of the lib's public surface: the engine's own record port.
import { DeploymentEndings } from '../../libs/deployments/src/deployment-endings';
import { appEnv } from '../harness/test-env';

jest.setTimeout(60_000);

const LOST = { code: 'job_lost', message: "the task's job was lost 5 times; giving up" };

describe('DeploymentEndings', () => {
  let db: DataSource;
  let endings: DeploymentEndings;

  beforeAll(async () => {
    const config = parseConfig(appEnv(), 'worker');
    db = new DataSource({
      ...postgresOptions(config.databaseUrl, 'deployment-endings-int'),
      entities: [DeploymentEntity, DeploymentStepEntity, DeploymentHostEntity, DeploymentHostClaimEntity],
    });
    await db.initialize();
    endings = new DeploymentEndings(db);
  });

  afterAll(async () => {
    await db?.destroy();
  });

  /** A running deployment: step 0 checked, step 1 running, step 2 not started; hosts healthy, applying, pending; all claimed. */
  async function aRunningDeployment(lease: 'none' | 'live' | 'expired' = 'none'): Promise<{ id: string; hosts: GiveUpHost[] }> {
    const id = randomUUID();
    const until = lease === 'live' ? `now() + interval '1 minute'` : lease === 'expired' ? `now() - interval '1 second'` : 'NULL';
    await db.query(
      `INSERT INTO deployments (id, patch_id, status, strategy, targets, request_hash, created_by, lease_owner, lease_until)
       VALUES ($1, $2, 'running', '{"type":"canary"}', '{"hostIds":[]}', 'test', 'endings-int', $3, ${until})`,
      [id, randomUUID(), lease === 'none' ? null : 'other-worker'],
    );
    for (const [index, status] of ['succeeded', 'running', 'pending'].entries()) {
      await db.query(`INSERT INTO deployment_steps (deployment_id, index, size, status) VALUES ($1, $2, $3, $4)`, [
        id,
        index,
        index + 1,
        status,
      ]);
    }
    const hosts: GiveUpHost[] = [
      { hostId: randomUUID(), hostName: 'h0', status: 'healthy', rollbackStored: true },
      { hostId: randomUUID(), hostName: 'h1', status: 'applying', rollbackStored: true },
      { hostId: randomUUID(), hostName: 'h2', status: 'pending', rollbackStored: false },
    ];
    for (const [position, host] of hosts.entries()) {
      await db.query(
        `INSERT INTO deployment_hosts (deployment_id, host_id, position, host_name, address, port, step, status)
         VALUES ($1, $2, $3, $4, '127.0.0.1', 22, $3, $5)`,
        [id, host.hostId, position, host.hostName, host.status],
      );
      await db.query(`INSERT INTO deployment_host_claims (host_id, deployment_id) VALUES ($1, $2)`, [host.hostId, id]);
    }
    return { id, hosts };
  }

  async function state(id: string) {
    const [deployment] = await db.query(`SELECT status, error, finished_at FROM deployments WHERE id = $1`, [id]);
    const steps = (await db.query(`SELECT status FROM deployment_steps WHERE deployment_id = $1 ORDER BY index`, [id])).map(
      (r: { status: string }) => r.status,
    );
    const hosts = (await db.query(`SELECT status FROM deployment_hosts WHERE deployment_id = $1 ORDER BY position`, [id])).map(
      (r: { status: string }) => r.status,
    );
    const [{ claims }] = await db.query(`SELECT count(*)::int AS claims FROM deployment_host_claims WHERE deployment_id = $1`, [id]);
    return { deployment, steps, hosts, claims };
  }

  it('ends a given-up deployment in one go: failed with the reason, hosts settled, steps closed, hosts released', async () => {
    const { id, hosts } = await aRunningDeployment('expired');
    const plan = giveUpPlan({ status: 'running', hosts }, 'deploy', LOST);
    expect(await endings.giveUp(id, 'running', plan!)).toBe('ended');
    const after = await state(id);
    expect(after).toEqual({
      deployment: { status: 'failed', error: LOST, finished_at: expect.any(Date) },
      steps: ['succeeded', 'aborted', 'skipped'],
      hosts: ['healthy', 'failed', 'skipped'],
      claims: 0,
    });
  });

  it('writes nothing while a live worker holds the lease', async () => {
    const { id, hosts } = await aRunningDeployment('live');
    const before = await state(id);
    expect(await endings.giveUp(id, 'running', giveUpPlan({ status: 'running', hosts }, 'deploy', LOST)!)).toBe('driven_by_another_worker');
    expect(await state(id)).toEqual(before);
  });

  it('writes nothing when the status moved on since it was read', async () => {
    const { id, hosts } = await aRunningDeployment();
    await db.query(`UPDATE deployments SET status = 'succeeded' WHERE id = $1`, [id]);
    const before = await state(id);
    expect(await endings.giveUp(id, 'running', giveUpPlan({ status: 'running', hosts }, 'deploy', LOST)!)).toBe('status_changed');
    expect(await state(id)).toEqual(before);
  });

  it('closes the open steps of a finished deployment and keeps the checked ones', async () => {
    const { id } = await aRunningDeployment();
    await endings.closeSteps(id, 'rolled_back');
    expect((await state(id)).steps).toEqual(['succeeded', 'aborted', 'skipped']);
    const finished = await db.query(`SELECT index, finished_at FROM deployment_steps WHERE deployment_id = $1 AND index > 0`, [id]);
    for (const step of finished) expect(step.finished_at).toBeInstanceOf(Date);
  });
});
