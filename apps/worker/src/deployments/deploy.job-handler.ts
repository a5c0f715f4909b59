import { Injectable } from '@nestjs/common';
import { DeployRunner, DeploymentGiveUp } from '@vulnzero/deployments';
import type { JobContext, JobGiveUpReason, JobHandler, JobPayloads } from '@vulnzero/queues';

@Injectable()
export class DeployJobHandler implements JobHandler<'deploy.run'> {
  readonly job = 'deploy.run' as const;

  constructor(
    private readonly runner: DeployRunner,
    private readonly ending: DeploymentGiveUp,
  ) {}

  handle(payload: JobPayloads['deploy.run'], context: JobContext): Promise<void> {
    return this.runner.run(payload.deploymentId, payload.taskId, context);
  }

  giveUp(payload: JobPayloads['deploy.run'], reason: JobGiveUpReason): Promise<boolean> {
    return this.ending.giveUp(payload.deploymentId, 'deploy', payload.taskId, reason);
  }
}
