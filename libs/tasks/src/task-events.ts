import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS_CLIENT } from '@vulnzero/queues';

export interface TaskEvent {
  type: 'task' | 'deployment' | 'host' | 'step';
  at: string;
  [field: string]: unknown;
}

export function taskEventsChannel(taskId: string): string {
  return `vz:task-events:${taskId}`;
}

/**
 * Where a finished task's id is announced when its row changes all the same
 * (a transition to the status it already has, with a new result; a late
 * progress write): gateways cache finished tasks' views (TaskViewCache).
 */
export const FINISHED_TASK_CHANGES_CHANNEL = 'vz:tasks:finished-changed';

/**
 * Live notifications of a task's transitions over Redis pub/sub, for
 * `GET /tasks/:id/events`. They are hints, not the record: the record is the
 * database, and a subscriber that missed one re-reads it.
 */
@Injectable()
export class TaskEventsPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(TaskEventsPublisher.name);
  private readonly redis: Redis;

  constructor(@Inject(REDIS_CLIENT) redis: Redis) {
    // Its own connection with auto-pipelining: the events of many hosts started
    // or finished together go out in one write instead of one write each.
    this.redis = redis.duplicate({ enableAutoPipelining: true });
    this.redis.on('error', () => undefined);
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }

  /**
   * Tells the gateways that a finished task's row changed, once the change is
   * committed. Not awaited: the write is done; a lost announcement costs at
   * most the cache's few seconds.
   */
  finishedTaskChanged(taskId: string): void {
    void this.redis.publish(FINISHED_TASK_CHANGES_CHANNEL, taskId).catch((error: Error) => {
      this.logger.warn({ taskId, error: error.message }, 'finished task change not announced; gateways may serve its previous view for a few seconds');
    });
  }

  publish(taskId: string | null | undefined, event: Omit<TaskEvent, 'at'>): void {
    if (!taskId) return;
    this.redis
      .publish(taskEventsChannel(taskId), JSON.stringify({ ...event, at: new Date().toISOString() }))
      .catch((error: Error) => this.logger.debug(`task event not published (${error.message}); subscribers poll`));
  }
}
