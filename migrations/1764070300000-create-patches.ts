import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePatches1764070300000 implements MigrationInterface {
  name = 'CreatePatches1764070300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE patches (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        definition jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
        status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved')),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        approved_by text,
        approved_at timestamptz,
        CONSTRAINT patches_approval_recorded CHECK (
          (status = 'approved') = (approved_by IS NOT NULL AND approved_at IS NOT NULL)
        )
      )`);
    await q.query(`CREATE INDEX patches_created_idx ON patches (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX patches_status_created_idx ON patches (status, created_at DESC, id DESC)`);
    // Immutability below the application: whatever writes to this table, an
    // approved patch keeps the commands that were approved, and stays approved.
    await q.query(`
      CREATE FUNCTION patches_refuse_change_once_approved() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.status = 'approved' AND (
          NEW.definition IS DISTINCT FROM OLD.definition
          OR NEW.name IS DISTINCT FROM OLD.name
          OR NEW.status IS DISTINCT FROM OLD.status
          OR NEW.approved_by IS DISTINCT FROM OLD.approved_by
          OR NEW.approved_at IS DISTINCT FROM OLD.approved_at
          OR NEW.created_by IS DISTINCT FROM OLD.created_by
        ) THEN
          RAISE EXCEPTION 'patch % is approved and cannot be changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER patches_immutable_once_approved
      BEFORE UPDATE ON patches
      FOR EACH ROW EXECUTE FUNCTION patches_refuse_change_once_approved()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE patches`);
    await q.query(`DROP FUNCTION patches_refuse_change_once_approved()`);
  }
}
