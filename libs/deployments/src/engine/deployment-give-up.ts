import { Injectable, Logger } from '@nestjs/common';
import { InvalidTaskTransitionError, isTerminalTask, TaskEventsPublisher, TasksService } from '@vulnzero/tasks';
import { DeploymentEndings } from '../deployment-endings';
import { DeploymentRecords } from '../deployment-records';
import { GivenUpJob, giveUpPlan } from '../core/give-up';

/** Rereads when the status moved between the read and the write (a racing transition). */
const MAX_ATTEMPTS = 3;

/**
 * A deploy or rollback job that failed for good (its attempts exhausted, or
 * an error retrying cannot fix), or that the reconciler gave up on after it
 * was lost too often: its deployment still ends (docs/api.md#deployments), `failed` or
 * `rollback_failed` with the reason, and its hosts are released (see
 * `giveUpPlan`). Its task and the linked deploy or rollback task end failed.
 * Nothing runs on a host.
 */
@Injectable()
export class DeploymentGiveUp {
  private readonly logger = new Logger(DeploymentGiveUp.name);

  constructor(
    private readonly records: DeploymentRecords,
    private readonly endings: DeploymentEndings,
    private readonly tasks: TasksService,
    private readonly events: TaskEventsPublisher,
  ) {}

  /**
   * False when a live worker holds the deployment's lease: it is driving the
   * deployment, the job is not lost, and its task is left to that worker.
   */
  async giveUp(deploymentId: string, job: GivenUpJob, taskId: string, reason: { code: string; message: string }): Promise<boolean> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const run = await this.records.load(deploymentId);
      if (!run) {
        await this.failTask(taskId, reason);
        return true;
      }
      const { deployment } = run;
      const plan = giveUpPlan(
        {
          status: deployment.status,
          hosts: run.hosts.map((h) => ({
            hostId: h.hostId,
            hostName: h.hostName,
            status: h.status,
            rollbackStored: h.rollbackStoredAt !== null,
          })),
        },
        job,
        reason,
      );
      if (plan) {
        const written = await this.endings.giveUp(deploymentId, deployment.status, plan);
        if (written === 'driven_by_another_worker') {
          this.logger.warn({ deploymentId, taskId, job }, 'job given up, but a live worker drives the deployment: left to it');
          return false;
        }
        if (written === 'status_changed') continue;
        this.logger.warn(
          { deploymentId, taskId, job, from: deployment.status, to: plan.final, reason: reason.message },
          'deployment ended: its job was given up',
        );
        this.events.publish(deployment.taskId, { type: 'deployment', status: plan.final });
        for (const host of plan.hosts) {
          const hostName = run.hosts.find((h) => h.hostId === host.hostId)?.hostName;
          this.events.publish(deployment.taskId, { type: 'host', hostId: host.hostId, hostName, status: host.status, error: host.error });
        }
      }
      const final = plan?.final ?? deployment.status;
      await this.failTask(taskId, reason, final);
      // The other task of the pair: the automatic rollback the deploy job was running, or the deploy task a rollback closes.
      const linked = job === 'deploy' ? (plan?.final === 'rollback_failed' ? deployment.rollbackTaskId : null) : deployment.taskId;
      if (linked && linked !== taskId) await this.failTask(linked, reason, final);
      return true;
    }
    this.logger.warn({ deploymentId, taskId, job }, 'job given up, but the deployment kept changing: its task alone ends failed');
    await this.failTask(taskId, reason);
    return true;
  }

  private async failTask(taskId: string, error: { code: string; message: string }, deploymentStatus?: string): Promise<void> {
    try {
      const task = await this.tasks.get(taskId);
      if (isTerminalTask(task.status)) return;
      await this.tasks.transition(taskId, 'failed', { error, ...(deploymentStatus ? { result: { deploymentStatus } } : {}) });
      this.events.publish(taskId, { type: 'task', status: 'failed', ...(deploymentStatus ? { deploymentStatus } : {}) });
    } catch (failure) {
      // It finished meanwhile: its own outcome stands.
      if (!(failure instanceof InvalidTaskTransitionError)) throw failure;
    }
  }
}
