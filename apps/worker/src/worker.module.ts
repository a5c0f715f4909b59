import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@vulnzero/config';
import { DatabaseModule } from '@vulnzero/database';
import { LoggingModule } from '@vulnzero/logging';
import { WorkerMetricsModule } from '@vulnzero/metrics';
import { JOB_HANDLERS, JobHandler, QueuesModule, RedisModule } from '@vulnzero/queues';
import { TaskRecoveryModule, TasksModule } from '@vulnzero/tasks';
import { DeploymentEngineModule, HostClaimsModule } from '@vulnzero/deployments';
import { ScanEngineModule } from '@vulnzero/scans';
import { DeployJobHandler } from './deployments/deploy.job-handler';
import { RollbackJobHandler } from './deployments/rollback.job-handler';
import { ScanJobHandler } from './scans/scan.job-handler';
import { JobDispatcher } from './jobs/job-dispatcher';
import { QUEUE_PROCESSORS } from './jobs/queue.processors';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot('worker'),
        WorkerMetricsModule.forRoot(),
        DatabaseModule.forRoot('vulnzero-worker'),
        RedisModule,
        HostClaimsModule,
        QueuesModule.forRoot(),
        TasksModule,
        DeploymentEngineModule,
        ScanEngineModule,
        TaskRecoveryModule,
      ],
      providers: [
        DeployJobHandler,
        RollbackJobHandler,
        ScanJobHandler,
        {
          provide: JOB_HANDLERS,
          inject: [DeployJobHandler, RollbackJobHandler, ScanJobHandler],
          useFactory: (...handlers: JobHandler[]) => handlers,
        },
        JobDispatcher,
        ...QUEUE_PROCESSORS,
      ],
    };
  }
}
