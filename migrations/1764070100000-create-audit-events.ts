import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuditEvents1764070100000 implements MigrationInterface {
  name = 'CreateAuditEvents1764070100000';

  async up(q: QueryRunner): Promise<void> {
    // No foreign key to users: the trail outlives the accounts it names.
    await q.query(`
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'api-key', 'anonymous')),
        actor_id uuid,
        actor_name text,
        action text NOT NULL,
        resource_type text,
        resource_id text,
        request_id text,
        address text,
        outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
        status_code integer CHECK (status_code BETWEEN 100 AND 599),
        detail jsonb NOT NULL DEFAULT '{}'::jsonb,
        prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
        hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
      )`);
    // GET /audit pages newest first by id and /audit/verify reads by id: the
    // primary key's index serves both directions. A second row claiming the
    // same predecessor would fork the chain: refuse it.
    await q.query(`CREATE UNIQUE INDEX audit_events_prev_hash_key ON audit_events (prev_hash)`);
    await q.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only';
      END
      $$`);
    // Statement-level, so even an UPDATE or DELETE that matches no row fails loudly.
    await q.query(`
      CREATE TRIGGER audit_events_append_only
        BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP FUNCTION audit_events_append_only()`);
  }
}
