import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Nothing is stuck: a step a finished deployment never checked ends `aborted`
 * (it had started) or `skipped` (it never did); a retried rollback of a
 * `rollback_failed` deployment records which hosts it retries and which it
 * left alone and why, so a worker that resumes it retries the same hosts.
 */
export class AddStepClosureAndRollbackRetry1764080600000 implements MigrationInterface {
  name = 'AddStepClosureAndRollbackRetry1764080600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployment_steps DROP CONSTRAINT deployment_steps_status_check`);
    await q.query(
      `ALTER TABLE deployment_steps ADD CONSTRAINT deployment_steps_status_check
         CHECK (status IN ('pending', 'running', 'baking', 'checking', 'succeeded', 'failed', 'aborted', 'skipped'))`,
    );
    await q.query(`ALTER TABLE deployments ADD COLUMN rollback_retry jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments DROP COLUMN rollback_retry`);
    await q.query(`UPDATE deployment_steps SET status = 'failed' WHERE status IN ('aborted', 'skipped')`);
    await q.query(`ALTER TABLE deployment_steps DROP CONSTRAINT deployment_steps_status_check`);
    await q.query(
      `ALTER TABLE deployment_steps ADD CONSTRAINT deployment_steps_status_check
         CHECK (status IN ('pending', 'running', 'baking', 'checking', 'succeeded', 'failed'))`,
    );
  }
}
