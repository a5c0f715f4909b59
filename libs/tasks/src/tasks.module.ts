import { DynamicModule, Module, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@vulnzero/audit';
import { TaskEntity } from './task.entity';
import { TasksService } from './tasks.service';
import { TaskEventsPublisher } from './task-events';
import { TaskReconciler } from './task-reconciler';

@Module({
  imports: [TypeOrmModule.forFeature([TaskEntity])],
  providers: [TasksService, TaskEventsPublisher],
  exports: [TasksService, TaskEventsPublisher],
})
export class TasksModule {}

/**
 * For workers only: re-enqueues tasks whose jobs were lost (see TaskReconciler).
 * `handlers` exports JOB_HANDLERS: the reconciler asks a job's handler to end
 * what the job drives when it gives the job up.
 */
@Module({})
export class TaskRecoveryModule {
  static withJobHandlers(handlers: Type): DynamicModule {
    return {
      module: TaskRecoveryModule,
      imports: [TypeOrmModule.forFeature([TaskEntity]), TasksModule, AuditModule, handlers],
      providers: [TaskReconciler],
      exports: [TaskReconciler],
    };
  }
}
