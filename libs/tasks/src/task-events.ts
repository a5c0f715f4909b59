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
 * Where a task's id is announced after every write of its row that its view
 * shows (status, progress, result, error, timestamps): gateways cache task
 * views (TaskViewCache) and forget one when its id arrives here.
 */
export const TASK_CHANGES_CHANNEL = 'vz:tasks:changed';

/**
 * Live notifications of a task's transitions over Redis pub/sub, for
 * `GET /tasks/:id/events`. They are hints, not the record: the record is the
 * database, and a subscriber that missed one re-reads it.
 */
@Injectable()
export class TaskEventsPublisher implements OnApplicationShutdown {
  private readonly logger = new Logger(TaskEventsPublisher.name);
  private readonly redis: Redis;
  private readonly changeListeners = new Set<(taskId: string) => void>();

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
   * Called in this process, synchronously, on every announced change of a
   * task's row: the gateway forgets its own writes before it answers.
   */
  onTaskChanged(listener: (taskId: string) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /**
   * Tells this process at once, and the gateways over Redis, that a task's
   * row changed; call it once the change is committed. The publish is not
   * awaited: the write is done; a lost announcement costs at most the cache's
   * few seconds (one for a task that is not finished).
   */
  taskChanged(taskId: string): void {
    for (const listener of this.changeListeners) {
      // The change is committed: a listener's failure must not fail the write, nor stop the announcement.
      try {
        listener(taskId);
      } catch (error) {
        this.logger.error({ taskId, error: (error as Error).message }, 'task change listener failed');
      }
    }
    void this.redis.publish(TASK_CHANGES_CHANNEL, taskId).catch((error: Error) => {
      this.logger.warn(
        { taskId, error: error.message },
        'task change not announced; gateways may serve its previous view for a few seconds',
      );
    });
  }

  publish(taskId: string | null | undefined, event: Omit<TaskEvent, 'at'>): void {
    if (!taskId) return;
    this.redis
      .publish(taskEventsChannel(taskId), JSON.stringify({ ...event, at: new Date().toISOString() }))
      .catch((error: Error) => this.logger.debug(`task event not published (${error.message}); subscribers poll`));
  }
}
