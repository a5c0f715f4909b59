import { Injectable } from '@nestjs/common';
import type { JobContext, JobHandler, JobPayloads } from '@vulnzero/queues';
import { ScanRunner } from '@vulnzero/scans';

@Injectable()
export class ScanJobHandler implements JobHandler<'scan.run'> {
  readonly job = 'scan.run' as const;

  constructor(private readonly runner: ScanRunner) {}

  handle(payload: JobPayloads['scan.run'], context: JobContext): Promise<void> {
    return this.runner.run(payload.scanId, payload.taskId, context);
  }
}
