import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A deployment pins each target when it is created: the address it resolved
 * to (`address` keeps what the inventory said, a DNS name or an IP), the host
 * key and the credential; `port` was already copied. Every later connection of
 * the deployment (re-checks, rollback, resume) and its http/tcp health checks
 * use these, never the live host row.
 *
 * Rows written before this migration get what the old engine would have used:
 * the host's current key and credential, and the registered address as the
 * one to connect to (a DNS name there is resolved at connect time, as before).
 * `resolved_address` stays NULL only for a name that did not resolve at
 * creation: the engine fails that host instead of resolving it later.
 */
export class PinDeploymentTargets1764080500000 implements MigrationInterface {
  name = 'PinDeploymentTargets1764080500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE deployment_hosts
         ADD COLUMN resolved_address text,
         ADD COLUMN host_key text,
         ADD COLUMN credential_id uuid`,
    );
    await q.query(`UPDATE deployment_hosts SET resolved_address = address`);
    await q.query(
      `UPDATE deployment_hosts AS dh SET host_key = h.host_key, credential_id = h.credential_id
       FROM hosts AS h WHERE h.id = dh.host_id`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployment_hosts DROP COLUMN credential_id, DROP COLUMN host_key, DROP COLUMN resolved_address`);
  }
}
