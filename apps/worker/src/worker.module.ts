import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@vulnzero/config';
import { DatabaseModule } from '@vulnzero/database';
import { LoggingModule } from '@vulnzero/logging';
import { JOB_HANDLERS, QueuesModule, RedisModule } from '@vulnzero/queues';
import { TasksModule } from '@vulnzero/tasks';
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
      ],
      providers: [
        // Capability handlers (deploy, rollback, scan) join this list as they land.
        { provide: JOB_HANDLERS, useValue: [] },
        JobDispatcher,
        ...QUEUE_PROCESSORS,
      ],
    };
  }
}
