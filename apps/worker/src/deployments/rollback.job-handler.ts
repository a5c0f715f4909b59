import { Injectable } from '@nestjs/common';
import { DeployRunner } from '@vulnzero/deployments';
import type { JobHandler, JobPayloads } from '@vulnzero/queues';

@Injectable()
export class RollbackJobHandler implements JobHandler<'rollback.run'> {
  readonly job = 'rollback.run' as const;

  constructor(private readonly runner: DeployRunner) {}

  handle(payload: JobPayloads['rollback.run']): Promise<void> {
    return this.runner.rollbackRun(payload.deploymentId, payload.taskId);
  }
}
