// `POST /deployments/:id/rollback`: which hosts a rollback undoes (all the
// deployment changed, newest first; of a `rollback_failed` one, only those a
// retry may still touch), their claims, the rollback task and its job.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@vulnzero/audit';
import type { Actor } from '@vulnzero/auth';
import { ConflictError, DependencyUnavailableError, NotFoundError } from '@vulnzero/http';
import { isIrreversible, PatchesService } from '@vulnzero/patches';
import { JobEnqueuer } from '@vulnzero/queues';
import { TasksService } from '@vulnzero/tasks';
import { toSnapshot } from './core/deployment-snapshot';
import { canTransition } from './core/deployment-state';
import { rollbackOrder } from './core/next-action';
import { RollbackRetrySelection, selectRollbackRetry, SkippedHost } from './core/rollback-retry';
import { DeploymentEntity } from './deployment.entity';
import { DeploymentRecords } from './deployment-records';
import { HostClaims } from './host-claims';

export interface RollbackAccepted {
  taskId: string;
  statusUrl: string;
  hosts: { hostId: string; hostName: string }[];
  skipped: SkippedHost[];
}

@Injectable()
export class DeploymentRollbackRequests {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly patches: PatchesService,
    private readonly tasks: TasksService,
    private readonly jobs: JobEnqueuer,
    private readonly records: DeploymentRecords,
    private readonly claims: HostClaims,
    private readonly audit: AuditService,
  ) {}

  /**
   * Rolls back every host the deployment changed, newest first. Of a
   * `rollback_failed` deployment, only the hosts not rolled back yet that no
   * later deployment has targeted since (see `selectRollbackRetry`); the
   * worker then checks each one's verify before undoing it.
   */
  async request(actor: Actor, id: string): Promise<RollbackAccepted> {
    const run = await this.records.load(id);
    if (!run) throw new NotFoundError('deployment', id);
    const { deployment } = run;
    if (!canTransition(deployment.status, 'rolling_back') || deployment.status === 'running') {
      throw new ConflictError(`deployment ${id} is ${deployment.status}: it cannot be rolled back now`, { status: deployment.status });
    }
    if (deployment.rollbackTaskId) {
      const previous = await this.tasks.get(deployment.rollbackTaskId);
      if (previous.status === 'queued' || previous.status === 'running') {
        throw new ConflictError(`a rollback of deployment ${id} is already under way`, { taskId: previous.id });
      }
    }
    const patch = await this.patches.getApproved(deployment.patchId);
    if (isIrreversible(patch.definition)) {
      throw new ConflictError(
        `deployment ${id} applied an irreversible patch (${patch.name}): it has no rollback commands, so its hosts cannot be rolled back`,
        { patchId: patch.id },
      );
    }
    const names = new Map(run.hosts.map((h) => [h.hostId, h.hostName]));
    const snapshot = toSnapshot(run);
    let retry: RollbackRetrySelection | null = null;
    if (deployment.status === 'rollback_failed') {
      const candidates = rollbackOrder(snapshot.hosts);
      retry = selectRollbackRetry(
        snapshot.hosts.map((h) => ({ ...h, hostName: names.get(h.hostId) ?? h.hostId })),
        await this.claims.laterDeployments(this.db.manager, id, candidates),
      );
      if (retry.hostIds.length === 0 && candidates.length > 0) {
        throw new ConflictError(
          `deployment ${id}: no host left to retry the rollback on: ${retry.skipped.map((h) => `${h.hostName} (${h.reason})`).join('; ')}`,
          { skipped: retry.skipped },
        );
      }
    }
    const hostIds = retry ? retry.hostIds : rollbackOrder(snapshot.hosts);
    if (hostIds.length === 0) throw new ConflictError(`deployment ${id} changed no host: nothing to roll back`);
    const task = await this.db.transaction(async (em) => {
      if (deployment.status !== 'paused') await this.claims.claim(em, id, hostIds, names);
      const created = await this.tasks.create(
        {
          type: 'rollback',
          createdBy: actor.name,
          resourceType: 'deployment',
          resourceId: id,
          parentTaskId: deployment.taskId ?? undefined,
          total: hostIds.length,
        },
        em,
      );
      await em.getRepository(DeploymentEntity).update({ id }, { rollbackTaskId: created.id, rollbackRetry: retry });
      await this.audit.recordChange(em, {
        action: 'deployment.rollback',
        resourceType: 'deployment',
        resourceId: id,
        detail: {
          status: deployment.status,
          hosts: hostIds.length,
          taskId: created.id,
          ...(retry ? { skipped: retry.skipped.length } : {}),
        },
      });
      return created;
    });
    try {
      await this.tasks.setJobId(task.id, await this.jobs.enqueue('rollback.run', { taskId: task.id, deploymentId: id }));
    } catch (error) {
      await this.tasks.transition(task.id, 'failed', { error: { code: 'queue_unavailable', message: (error as Error).message } });
      if (deployment.status !== 'paused') await this.records.releaseClaims(id);
      throw new DependencyUnavailableError('queue', 'the rollback could not be enqueued; nothing was started');
    }
    return {
      taskId: task.id,
      statusUrl: `/tasks/${task.id}`,
      hosts: hostIds.map((hostId) => ({ hostId, hostName: names.get(hostId) ?? hostId })),
      skipped: retry?.skipped ?? [],
    };
  }
}
