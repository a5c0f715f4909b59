import { Module } from '@nestjs/common';
import { JOB_HANDLERS, JobHandler } from '@vulnzero/queues';
import { DeploymentEngineModule } from '@vulnzero/deployments';
import { ScanEngineModule } from '@vulnzero/scans';
import { DeployJobHandler } from '../deployments/deploy.job-handler';
import { RollbackJobHandler } from '../deployments/rollback.job-handler';
import { ScanJobHandler } from '../scans/scan.job-handler';

/** Every job's handler, as JOB_HANDLERS: for the dispatcher, and for the reconciler when it gives a lost job up. */
@Module({
  imports: [DeploymentEngineModule, ScanEngineModule],
  providers: [
    DeployJobHandler,
    RollbackJobHandler,
    ScanJobHandler,
    {
      provide: JOB_HANDLERS,
      inject: [DeployJobHandler, RollbackJobHandler, ScanJobHandler],
      useFactory: (...handlers: JobHandler[]) => handlers,
    },
  ],
  exports: [JOB_HANDLERS],
})
export class JobHandlersModule {}
