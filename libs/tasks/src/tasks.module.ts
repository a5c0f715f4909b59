import { Module } from '@nestjs/common';
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

/** For workers only: re-enqueues tasks whose jobs were lost (see TaskReconciler). */
@Module({
  imports: [TypeOrmModule.forFeature([TaskEntity]), TasksModule, AuditModule],
  providers: [TaskReconciler],
  exports: [TaskReconciler],
})
export class TaskRecoveryModule {}
