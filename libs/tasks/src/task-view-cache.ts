import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { AnnouncedCache, REDIS_CLIENT } from '@vulnzero/queues';
import { isTerminalTask } from './core/task-state';
import { TASK_CHANGES_CHANNEL, TaskEventsPublisher } from './task-events';
import { TasksService, TaskView } from './tasks.service';

/** A finished task's view only changes in rare rewrites (a repeated final transition, a late progress write). */
const FINISHED_VIEW_TTL_MS = 5_000;
/**
 * A running or paused task changes often: if an announcement is lost, its
 * status and progress are never more than this much older than its row.
 */
const UNFINISHED_VIEW_TTL_MS = 1_000;

/**
 * `GET /tasks/:id` for the gateway: task views remembered for a few seconds,
 * so clients that poll a task (CI pipelines, pages left open) do not cost a
 * query each. Every write of a task's row through TasksService is announced
 * (TaskEventsPublisher.taskChanged): this gateway forgets its own writes
 * before it answers, and the others when the Redis message arrives. A lost
 * message is covered by the short lifetimes: one second for a task that is
 * not finished, five for a finished one, counted from when the read began.
 * Nothing is remembered while the subscription is down, nor a read that
 * overlapped an announcement of its task or a loss of the subscription.
 */
@Injectable()
export class TaskViewCache implements OnModuleInit, OnModuleDestroy {
  private readonly cache = new AnnouncedCache<TaskView>({
    channel: TASK_CHANGES_CHANNEL,
    what: 'task views',
    ttlMs: FINISHED_VIEW_TTL_MS,
    maxEntries: 10_000,
  });
  private stopListening?: () => void;

  constructor(
    private readonly tasks: TasksService,
    private readonly events: TaskEventsPublisher,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  onModuleInit(): void {
    this.stopListening = this.events.onTaskChanged((taskId) => this.cache.forget(taskId));
    this.cache.start(this.redis);
  }

  onModuleDestroy(): void {
    this.stopListening?.();
    this.cache.stop();
  }

  /** The task's view: remembered, else (and the first time) TasksService.view. */
  view(id: string): TaskView | Promise<TaskView> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const ticket = this.cache.ticket();
    const startedAt = Date.now();
    return this.tasks.view(id).then((view) => {
      // The view is as old as the read: its lifetime counts from there.
      const lifetime = (isTerminalTask(view.status) ? FINISHED_VIEW_TTL_MS : UNFINISHED_VIEW_TTL_MS) - (Date.now() - startedAt);
      this.cache.remember(ticket, id, view, lifetime);
      return view;
    });
  }
}
