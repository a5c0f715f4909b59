import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Workers record their own decisions (automatic rollback, resume, giving up on
 * a lost job) as actor `system`. A patch keeps the id of the user who created
 * it (an API key counts as its owner), so REQUIRE_SEPARATE_APPROVER holds
 * whether the creator signed in or used a key.
 */
export class AuditSystemActorAndPatchCreator1764080400000 implements MigrationInterface {
  name = 'AuditSystemActorAndPatchCreator1764080400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_kind_check`);
    await q.query(
      `ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_kind_check CHECK (actor_kind IN ('user', 'api-key', 'anonymous', 'system'))`,
    );
    // No foreign key: a patch outlives the account that wrote it.
    await q.query(`ALTER TABLE patches ADD COLUMN created_by_user_id uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE patches DROP COLUMN created_by_user_id`);
    await q.query(`ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_kind_check`);
    await q.query(
      `ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_kind_check CHECK (actor_kind IN ('user', 'api-key', 'anonymous')) NOT VALID`,
    );
  }
}
