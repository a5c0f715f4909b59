import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Maintenance windows (issue 14): named, reusable recurring windows; on a
 * deployment its window (inline or named), `not_before`, and why and until
 * when it is paused; on a task, when a paused one is due to wake, so a lost
 * wake-up job is enqueued again by the reconciler.
 */
export class AddMaintenanceWindows1764070800000 implements MigrationInterface {
  name = 'AddMaintenanceWindows1764070800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE maintenance_windows (
         id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
         name text NOT NULL,
         recurrence text NOT NULL,
         duration text NOT NULL,
         timezone text NOT NULL,
         created_by text NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT maintenance_windows_name_key UNIQUE (name)
       )`,
    );
    await q.query(
      `ALTER TABLE deployments
         ADD COLUMN "window" jsonb,
         ADD COLUMN maintenance_window_id uuid REFERENCES maintenance_windows (id),
         ADD COLUMN not_before timestamptz,
         ADD COLUMN paused_reason text,
         ADD COLUMN resume_at timestamptz`,
    );
    await q.query(
      `CREATE INDEX deployments_maintenance_window_idx ON deployments (maintenance_window_id) WHERE maintenance_window_id IS NOT NULL`,
    );
    await q.query(`ALTER TABLE tasks ADD COLUMN resume_at timestamptz`);
    await q.query(`CREATE INDEX tasks_paused_resume_idx ON tasks (resume_at) WHERE status = 'paused' AND resume_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tasks_paused_resume_idx`);
    await q.query(`ALTER TABLE tasks DROP COLUMN resume_at`);
    await q.query(`DROP INDEX deployments_maintenance_window_idx`);
    await q.query(
      `ALTER TABLE deployments DROP COLUMN resume_at, DROP COLUMN paused_reason, DROP COLUMN not_before,
         DROP COLUMN maintenance_window_id, DROP COLUMN "window"`,
    );
    await q.query(`DROP TABLE maintenance_windows`);
  }
}
