import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a package patch left running on each host: after apply and after
 * rollback, the processes still using replaced libraries and whether a reboot
 * is required (`{afterApply?, afterRollback?}`).
 */
export class DeploymentHostRestartReport1764100200000 implements MigrationInterface {
  name = 'DeploymentHostRestartReport1764100200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployment_hosts ADD COLUMN restart_report jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployment_hosts DROP COLUMN restart_report`);
  }
}
