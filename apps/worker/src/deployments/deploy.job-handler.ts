import { Injectable } from '@nestjs/common';
import { DeployRunner } from '@vulnzero/deployments';
import type { JobContext, JobHandler, JobPayloads } from '@vulnzero/queues';

@Injectable()
export class DeployJobHandler implements JobHandler<'deploy.run'> {
  readonly job = 'deploy.run' as const;

  constructor(private readonly runner: DeployRunner) {}

  handle(payload: JobPayloads['deploy.run'], context: JobContext): Promise<void> {
    return this.runner.run(payload.deploymentId, payload.taskId, context);
  }
}
