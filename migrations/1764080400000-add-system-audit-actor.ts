import { MigrationInterface, QueryRunner } from 'typeorm';

/** Workers record their own decisions (automatic rollback, resume, giving up on a lost job) as actor `system`. */
export class AddSystemAuditActor1764080400000 implements MigrationInterface {
  name = 'AddSystemAuditActor1764080400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_kind_check`);
    await q.query(
      `ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_kind_check CHECK (actor_kind IN ('user', 'api-key', 'anonymous', 'system'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_kind_check`);
    await q.query(
      `ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_kind_check CHECK (actor_kind IN ('user', 'api-key', 'anonymous')) NOT VALID`,
    );
  }
}
