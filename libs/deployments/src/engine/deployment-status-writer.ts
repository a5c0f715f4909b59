import { Injectable } from '@nestjs/common';
import { isTerminalTask, TaskEventsPublisher, TasksService } from '@vulnzero/tasks';
import type { DeploymentEntity, PausedReason } from '../deployment.entity';
import { DeploymentRecords, DeploymentRun } from '../deployment-records';
import { DeploymentEndings } from '../deployment-endings';
import { deployTaskStatus, rollbackTaskStatus, type DeploymentStatus } from '../core/deployment-state';
import { deployProgress } from '../core/task-progress';
import { toSnapshot } from '../core/deployment-snapshot';
import type { SkippedHost } from '../core/rollback-retry';

/**
 * The writes that move a run's deployment and its tasks along (status, the
 * end of a rollback, the end of a deploy task), each told to the task's
 * followers as it lands.
 */
@Injectable()
export class DeploymentStatusWriter {
  constructor(
    private readonly records: DeploymentRecords,
    private readonly tasks: TasksService,
    private readonly events: TaskEventsPublisher,
    private readonly endings: DeploymentEndings,
  ) {}

  async finishRollback(
    deploymentId: string,
    rollbackTaskId: string,
    status: 'rolled_back' | 'rollback_failed',
    failedHosts: string[],
    reason: string,
    /** A retried rollback's hosts left alone, and why: in the task's result. */
    skipped?: SkippedHost[],
  ): Promise<void> {
    const run = await this.mustLoad(deploymentId);
    await this.set(
      run,
      status,
      {},
      {
        finishedAt: new Date(),
        error:
          status === 'rollback_failed'
            ? { code: 'rollback_failed', message: `rollback failed on: ${failedHosts.join(', ')}`, hosts: failedHosts }
            : { code: 'rolled_back', message: reason },
      },
    );
    await this.endings.closeSteps(deploymentId, status);
    await this.records.releaseClaims(deploymentId);
    const progress = deployProgress({ ...toSnapshot(await this.mustLoad(deploymentId)) });
    await this.tasks.transition(rollbackTaskId, rollbackTaskStatus(status), {
      progress,
      result: { deploymentStatus: status, failedHosts, ...(skipped ? { skipped } : {}) },
      ...(status === 'rollback_failed'
        ? { error: { code: 'rollback_failed', message: `rollback failed on: ${failedHosts.join(', ')}` } }
        : {}),
    });
    this.events.publish(rollbackTaskId, { type: 'task', status: rollbackTaskStatus(status) });
  }

  /** A deploy task is `succeeded` only when its deployment is (SPEC §5). */
  async finishTask(taskId: string, deploymentStatus: DeploymentStatus, error?: { code: string; message: string }): Promise<void> {
    const task = await this.tasks.get(taskId);
    if (isTerminalTask(task.status)) return;
    const status = deployTaskStatus(deploymentStatus);
    await this.tasks.transition(taskId, status, {
      result: { deploymentStatus },
      ...(status === 'failed' ? { error: error ?? { code: deploymentStatus, message: `deployment ${deploymentStatus}` } } : {}),
    });
    this.events.publish(taskId, { type: 'task', status, deploymentStatus });
  }

  /** A run's status, through the transition table; `pause`: why and, for a schedule, until when; any other status clears both. */
  async set(
    run: DeploymentRun,
    status: DeploymentStatus,
    pause: { pausedReason?: PausedReason; resumeAt?: Date } = {},
    extra: Partial<DeploymentEntity> = {},
  ): Promise<void> {
    const patch: Partial<DeploymentEntity> = { ...extra, pausedReason: pause.pausedReason ?? null, resumeAt: pause.resumeAt ?? null };
    if (status === 'running' && !run.deployment.startedAt) patch.startedAt = new Date();
    // Through the transition table, conditional on the status read and on the lease.
    await this.records.transitionDeployment(run.deployment.id, run.deployment.status, status, patch);
    Object.assign(run.deployment, patch, { status });
    this.events.publish(run.deployment.taskId, {
      type: 'deployment',
      status,
      ...(pause.pausedReason ? { reason: pause.pausedReason } : {}),
      ...(pause.resumeAt ? { resumeAt: pause.resumeAt.toISOString() } : {}),
    });
  }

  private async mustLoad(deploymentId: string): Promise<DeploymentRun> {
    const run = await this.records.load(deploymentId);
    if (!run) throw new Error(`deployment ${deploymentId} not found`);
    return run;
  }
}
