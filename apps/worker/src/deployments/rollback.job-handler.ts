import { Injectable } from '@nestjs/common';
import { DeployRunner } from '@vulnzero/deployments';
import type { JobContext, JobHandler, JobPayloads } from '@vulnzero/queues';

@Injectable()
export class RollbackJobHandler implements JobHandler<'rollback.run'> {
  readonly job = 'rollback.run' as const;

  constructor(private readonly runner: DeployRunner) {}

  handle(payload: JobPayloads['rollback.run'], context: JobContext): Promise<void> {
    return this.runner.manualRollback(payload.deploymentId, payload.taskId, context);
  }
}
