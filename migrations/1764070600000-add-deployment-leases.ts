import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A deployment is driven by one worker at a time: the holder of its lease.
 * A lease expires when its holder stops renewing it (a dead worker), so
 * another worker can take the deployment over.
 */
export class AddDeploymentLeases1764070600000 implements MigrationInterface {
  name = 'AddDeploymentLeases1764070600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments ADD COLUMN lease_owner text, ADD COLUMN lease_until timestamptz`);
    await q.query(`CREATE INDEX tasks_job_recovery_idx ON tasks (updated_at) WHERE status IN ('queued', 'running')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tasks_job_recovery_idx`);
    await q.query(`ALTER TABLE deployments DROP COLUMN lease_owner, DROP COLUMN lease_until`);
  }
}
