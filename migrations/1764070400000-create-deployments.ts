import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateDeployments1764070400000 implements MigrationInterface {
  name = 'CreateDeployments1764070400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE deployments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        patch_id uuid NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN
          ('pending', 'running', 'paused', 'succeeded', 'failed', 'rolling_back', 'rolled_back', 'rollback_failed', 'cancelled')),
        strategy jsonb NOT NULL,
        targets jsonb NOT NULL,
        task_id uuid REFERENCES tasks(id),
        rollback_task_id uuid REFERENCES tasks(id),
        cancel_requested boolean NOT NULL DEFAULT false,
        idempotency_key text,
        request_hash text NOT NULL,
        created_by text NOT NULL,
        error jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX deployments_idempotency_key ON deployments (idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX deployments_created_idx ON deployments (created_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE deployment_steps (
        deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
        index integer NOT NULL,
        size integer NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'running', 'baking', 'checking', 'succeeded', 'failed')),
        bake_until timestamptz,
        promoted boolean NOT NULL DEFAULT false,
        started_at timestamptz,
        finished_at timestamptz,
        PRIMARY KEY (deployment_id, index)
      )`);
    await q.query(`
      CREATE TABLE deployment_hosts (
        deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
        host_id uuid NOT NULL,
        position integer NOT NULL,
        host_name text NOT NULL,
        address text NOT NULL,
        port integer NOT NULL,
        step integer NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN
          ('pending', 'capturing', 'applying', 'verifying', 'healthy', 'failed', 'rolling_back', 'rolled_back', 'rollback_failed', 'skipped')),
        exit_code integer,
        captured jsonb,
        rollback_commands jsonb,
        rollback_stored_at timestamptz,
        error text,
        output jsonb NOT NULL DEFAULT '[]'::jsonb,
        started_at timestamptz,
        finished_at timestamptz,
        rollback_started_at timestamptz,
        rollback_finished_at timestamptz,
        PRIMARY KEY (deployment_id, host_id)
      )`);
    await q.query(`CREATE INDEX deployment_hosts_position_idx ON deployment_hosts (deployment_id, position)`);
    // A host is in at most one running deployment: the claim is taken in the
    // same transaction that creates the deployment and released when it ends.
    await q.query(`
      CREATE TABLE deployment_host_claims (
        host_id uuid PRIMARY KEY,
        deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
        claimed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX deployment_host_claims_deployment_idx ON deployment_host_claims (deployment_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deployment_host_claims`);
    await q.query(`DROP TABLE deployment_hosts`);
    await q.query(`DROP TABLE deployment_steps`);
    await q.query(`DROP TABLE deployments`);
  }
}
