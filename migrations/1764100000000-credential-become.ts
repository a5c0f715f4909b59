import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A credential's `become`: its hosts' patch commands run as root through sudo,
 * without a password (NOPASSWD) or with one sealed like the private key (a
 * password without the method, or half a ciphertext, cannot be stored).
 */
export class CredentialBecome1764100000000 implements MigrationInterface {
  name = 'CredentialBecome1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE credentials
        ADD COLUMN become_method text CHECK (become_method IN ('sudo')),
        ADD COLUMN become_password_ciphertext bytea,
        ADD COLUMN become_password_iv bytea,
        ADD COLUMN become_password_tag bytea,
        ADD CONSTRAINT credentials_become_password_check CHECK (
          (become_password_ciphertext IS NULL AND become_password_iv IS NULL AND become_password_tag IS NULL)
          OR (become_method IS NOT NULL AND become_password_ciphertext IS NOT NULL AND become_password_iv IS NOT NULL AND become_password_tag IS NOT NULL)
        )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE credentials
        DROP CONSTRAINT credentials_become_password_check,
        DROP COLUMN become_password_tag,
        DROP COLUMN become_password_iv,
        DROP COLUMN become_password_ciphertext,
        DROP COLUMN become_method`);
  }
}
