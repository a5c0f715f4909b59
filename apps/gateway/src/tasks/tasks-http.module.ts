import { Module } from '@nestjs/common';
import { TasksModule } from '@vulnzero/tasks';
import { TaskEventStream } from './task-event-stream';
import { TasksController } from './tasks.controller';

@Module({
  imports: [TasksModule],
  controllers: [TasksController],
  providers: [TaskEventStream],
})
export class TasksHttpModule {}
