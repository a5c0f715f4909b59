import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TaskEntity } from './task.entity';
import { TasksService } from './tasks.service';
import { TaskEventsPublisher } from './task-events';

@Module({
  imports: [TypeOrmModule.forFeature([TaskEntity])],
  providers: [TasksService, TaskEventsPublisher],
  exports: [TasksService, TaskEventsPublisher],
})
export class TasksModule {}
