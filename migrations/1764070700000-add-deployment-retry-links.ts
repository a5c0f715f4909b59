import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A retry is a new deployment over the hosts a finished one did not patch;
 * the two point at each other (`POST /deployments/:id/retry`).
 */
export class AddDeploymentRetryLinks1764070700000 implements MigrationInterface {
  name = 'AddDeploymentRetryLinks1764070700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE deployments
         ADD COLUMN retry_of uuid REFERENCES deployments (id),
         ADD COLUMN retried_by uuid REFERENCES deployments (id)`,
    );
    await q.query(`CREATE UNIQUE INDEX deployments_retry_of_idx ON deployments (retry_of) WHERE retry_of IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX deployments_retry_of_idx`);
    await q.query(`ALTER TABLE deployments DROP COLUMN retried_by, DROP COLUMN retry_of`);
  }
}
