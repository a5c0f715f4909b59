import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS_CLIENT } from '@vulnzero/queues';
import { isTerminalTask } from './core/task-state';
import { FINISHED_TASK_CHANGES_CHANNEL } from './task-events';
import { TasksService, TaskView } from './tasks.service';

/** Short enough that a change announced while this gateway's subscriber was down is served soon anyway. */
const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  view: TaskView;
  expiresAt: number;
}

/**
 * `GET /tasks/:id` for the gateway: the views of finished tasks, remembered
 * for a few seconds, so clients that keep polling a task after it ended (a
 * page left open, pipelines that poll on) do not cost a query each. A task
 * that is not finished is read from PostgreSQL every time, so its status is
 * never older than a read of its own would give. A finished task's status
 * never changes (task-state.ts); when its row changes all the same (a repeated
 * final transition with a new result, a late progress write), TasksService
 * announces it and every gateway forgets the task. Entries are only kept while
 * that subscription is up; losing it empties the cache, as ActorCache does.
 */
@Injectable()
export class TaskViewCache implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TaskViewCache.name);
  private readonly entries = new Map<string, Entry>();
  private subscriber?: Redis;
  private listening = false;
  /** Bumped by every change: a read that raced with one is not remembered. */
  private generation = 0;

  constructor(
    private readonly tasks: TasksService,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  onModuleInit(): void {
    // Its own connection: a subscribed connection cannot send other commands.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('close', () => this.stopCaching());
    subscriber.on('ready', () => {
      subscriber.subscribe(FINISHED_TASK_CHANGES_CHANNEL).then(
        () => {
          this.entries.clear();
          this.listening = true;
        },
        (error: Error) => this.logger.warn(`finished task subscription failed, task views not cached: ${error.message}`),
      );
    });
    subscriber.on('message', (channel: string, taskId: string) => {
      if (channel === FINISHED_TASK_CHANGES_CHANNEL) this.forget(taskId);
    });
  }

  onModuleDestroy(): void {
    this.stopCaching();
    this.subscriber?.disconnect();
  }

  /** The task's view: remembered if it is finished, else (and the first time) TasksService.view. */
  view(id: string): TaskView | Promise<TaskView> {
    const entry = this.entries.get(id);
    if (entry) {
      if (entry.expiresAt > Date.now()) return entry.view;
      this.entries.delete(id);
    }
    const ticket = this.generation;
    return this.tasks.view(id).then((view) => {
      if (isTerminalTask(view.status)) this.remember(ticket, id, view);
      return view;
    });
  }

  private remember(ticket: number, id: string, view: TaskView): void {
    if (!this.listening || ticket !== this.generation) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(id, { view, expiresAt: Date.now() + TTL_MS });
  }

  private forget(taskId: string): void {
    this.generation += 1;
    this.entries.delete(taskId);
  }

  private stopCaching(): void {
    this.listening = false;
    this.generation += 1;
    this.entries.clear();
  }
}
