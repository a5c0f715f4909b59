import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@vulnzero/config';
import { DatabaseModule } from '@vulnzero/database';
import { LoggingModule } from '@vulnzero/logging';
import { JOB_HANDLERS, JobHandler, QueuesModule, RedisModule } from '@vulnzero/queues';
import { TasksModule } from '@vulnzero/tasks';
import { DeploymentEngineModule } from '@vulnzero/deployments';
import { DeployJobHandler } from './deployments/deploy.job-handler';
import { RollbackJobHandler } from './deployments/rollback.job-handler';
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
        DatabaseModule.forRoot('vulnzero-worker'),
        RedisModule,
        QueuesModule.forRoot(),
        TasksModule,
        DeploymentEngineModule,
      ],
      providers: [
        DeployJobHandler,
        RollbackJobHandler,
        // The scan handler joins this list with the scans capability.
        {
          provide: JOB_HANDLERS,
          inject: [DeployJobHandler, RollbackJobHandler],
          useFactory: (...handlers: JobHandler[]) => handlers,
        },
        JobDispatcher,
        ...QUEUE_PROCESSORS,
      ],
    };
  }
}
