import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { AnnouncedCache, REDIS_CLIENT } from '@vulnzero/queues';
import { isTerminalTask } from './core/task-state';
import { FINISHED_TASK_CHANGES_CHANNEL } from './task-events';
import { TasksService, TaskView } from './tasks.service';

/**
 * `GET /tasks/:id` for the gateway: the views of finished tasks, remembered
 * for a few seconds, so clients that keep polling a task after it ended (a
 * page left open, pipelines that poll on) do not cost a query each. A task
 * that is not finished is read from PostgreSQL every time, so its status is
 * never older than a read of its own would give. A finished task's status
 * never changes (task-state.ts); when its row changes all the same (a repeated
 * final transition with a new result, a late progress write), TasksService
 * announces it and every gateway forgets the task.
 */
@Injectable()
export class TaskViewCache implements OnModuleInit, OnModuleDestroy {
  private readonly cache = new AnnouncedCache<TaskView>({
    channel: FINISHED_TASK_CHANGES_CHANNEL,
    what: 'task views',
    ttlMs: 5_000,
    maxEntries: 10_000,
  });

  constructor(
    private readonly tasks: TasksService,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  onModuleInit(): void {
    this.cache.start(this.redis);
  }

  onModuleDestroy(): void {
    this.cache.stop();
  }

  /** The task's view: remembered if it is finished, else (and the first time) TasksService.view. */
  view(id: string): TaskView | Promise<TaskView> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const ticket = this.cache.ticket();
    return this.tasks.view(id).then((view) => {
      if (isTerminalTask(view.status)) this.cache.remember(ticket, id, view);
      return view;
    });
  }
}
