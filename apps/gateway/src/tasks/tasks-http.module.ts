import { Module } from '@nestjs/common';
import { LiveEventsModule } from '../live-events/live-events.module';
import { TasksModule, TaskViewCache } from '@vulnzero/tasks';
import { TaskEventStream } from './task-event-stream';
import { TasksController } from './tasks.controller';

@Module({
  imports: [TasksModule, LiveEventsModule],
  controllers: [TasksController],
  providers: [TaskEventStream, TaskViewCache],
})
export class TasksHttpModule {}
