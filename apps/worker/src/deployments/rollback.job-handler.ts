import { Injectable } from '@nestjs/common';
import { DeployRunner, DeploymentGiveUp } from '@vulnzero/deployments';
import type { JobContext, JobGiveUpReason, JobHandler, JobPayloads } from '@vulnzero/queues';

@Injectable()
export class RollbackJobHandler implements JobHandler<'rollback.run'> {
  readonly job = 'rollback.run' as const;

  constructor(
    private readonly runner: DeployRunner,
    private readonly ending: DeploymentGiveUp,
  ) {}

  handle(payload: JobPayloads['rollback.run'], context: JobContext): Promise<void> {
    return this.runner.manualRollback(payload.deploymentId, payload.taskId, context);
  }

  giveUp(payload: JobPayloads['rollback.run'], reason: JobGiveUpReason): Promise<boolean> {
    return this.ending.giveUp(payload.deploymentId, 'rollback', payload.taskId, reason);
  }
}
