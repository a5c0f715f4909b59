import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { DeploymentStatus } from './core/deployment-state';
import type { GiveUpPlan } from './core/give-up';
import type { StepStatus } from './core/next-action';
import { closeSteps } from './core/step-closure';

/** What became of a give-up: done, or refused because a live worker holds the lease or the status moved on. */
export type GiveUpWrite = 'ended' | 'driven_by_another_worker' | 'status_changed';

/**
 * The ends of a deployment that the run itself does not write: closing the
 * steps it left open, and ending a deployment whose job was given up. Each
 * write is conditional on the status it was decided from.
 */
@Injectable()
export class DeploymentEndings {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Every step still open gets its terminal status (see `closeSteps`): a
   * finished deployment shows no step `running`. Called with the final
   * status once it is written; a step that moved meanwhile is left as it is.
   */
  async closeSteps(deploymentId: string, finalStatus: DeploymentStatus, em: EntityManager = this.db.manager): Promise<void> {
    const steps: { index: number; status: StepStatus }[] = await em.query(
      `SELECT index, status FROM deployment_steps WHERE deployment_id = $1 ORDER BY index`,
      [deploymentId],
    );
    const closing = closeSteps(steps, finalStatus);
    if (closing.length === 0) return;
    const from = new Map(steps.map((s) => [s.index, s.status]));
    await em.query(
      `UPDATE deployment_steps AS s SET status = v.status, finished_at = coalesce(s.finished_at, now())
       FROM (SELECT unnest($2::int[]) AS index, unnest($3::text[]) AS status, unnest($4::text[]) AS prior) AS v
       WHERE s.deployment_id = $1 AND s.index = v.index AND s.status = v.prior`,
      [deploymentId, closing.map((s) => s.index), closing.map((s) => s.status), closing.map((s) => from.get(s.index))],
    );
  }

  /**
   * Ends a deployment nobody drives any more, as `plan` says, in one
   * transaction: its status (still `from`, and no live worker's lease on it),
   * the hosts it left mid-way (each still in its status), its open steps, and
   * its host claims, released.
   */
  async giveUp(deploymentId: string, from: DeploymentStatus, plan: GiveUpPlan): Promise<GiveUpWrite> {
    return this.db.transaction(async (em) => {
      const rows: { status: DeploymentStatus; leased: boolean }[] = await em.query(
        `SELECT status, (lease_owner IS NOT NULL AND lease_until >= now()) AS leased FROM deployments WHERE id = $1 FOR UPDATE`,
        [deploymentId],
      );
      const row = rows[0];
      if (!row || row.status !== from) return 'status_changed';
      if (row.leased) return 'driven_by_another_worker';
      if (plan.transitions.length > 0) {
        await em.query(
          `UPDATE deployments SET status = $2, error = $3::jsonb, finished_at = now(), paused_reason = NULL, resume_at = NULL,
                  lease_owner = NULL, lease_until = NULL, updated_at = now()
           WHERE id = $1 AND status = $4`,
          [deploymentId, plan.final, JSON.stringify(plan.error), from],
        );
      } else {
        await em.query(`UPDATE deployments SET error = $2::jsonb, updated_at = now() WHERE id = $1 AND status = $3`, [
          deploymentId,
          JSON.stringify(plan.error),
          from,
        ]);
      }
      if (plan.hosts.length > 0) {
        await em.query(
          `UPDATE deployment_hosts AS h
           SET status = v.status, error = coalesce(v.error, h.error),
               finished_at = CASE WHEN v.prior IN ('capturing', 'applying', 'verifying') THEN coalesce(h.finished_at, now()) ELSE h.finished_at END,
               rollback_finished_at = CASE WHEN v.prior = 'rolling_back' THEN now() ELSE h.rollback_finished_at END
           FROM (SELECT unnest($2::uuid[]) AS host_id, unnest($3::text[]) AS status, unnest($4::text[]) AS error,
                        unnest($5::text[]) AS prior) AS v
           WHERE h.deployment_id = $1 AND h.host_id = v.host_id AND h.status = v.prior`,
          [
            deploymentId,
            plan.hosts.map((h) => h.hostId),
            plan.hosts.map((h) => h.status),
            plan.hosts.map((h) => h.error),
            plan.hosts.map((h) => h.from),
          ],
        );
      }
      await this.closeSteps(deploymentId, plan.final, em);
      await em.query(`DELETE FROM deployment_host_claims WHERE deployment_id = $1`, [deploymentId]);
      return 'ended';
    });
  }
}
