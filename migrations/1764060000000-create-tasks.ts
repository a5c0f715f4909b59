import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTasks1764060000000 implements MigrationInterface {
  name = 'CreateTasks1764060000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tasks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type text NOT NULL CHECK (type IN ('scan', 'deploy', 'rollback')),
        status text NOT NULL DEFAULT 'queued'
          CHECK (status IN ('queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled')),
        resource_type text,
        resource_id uuid,
        parent_task_id uuid REFERENCES tasks(id),
        progress jsonb NOT NULL DEFAULT '{}'::jsonb,
        result jsonb,
        error jsonb,
        created_by text NOT NULL,
        job_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX tasks_created_idx ON tasks (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX tasks_type_status_created_idx ON tasks (type, status, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX tasks_unfinished_idx ON tasks (status) WHERE status IN ('queued', 'running', 'paused')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tasks`);
  }
}
