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

  publish(taskId: string | null | undefined, event: Omit<TaskEvent, 'at'>): void {
    if (!taskId) return;
    this.redis
      .publish(taskEventsChannel(taskId), JSON.stringify({ ...event, at: new Date().toISOString() }))
      .catch((error: Error) => this.logger.debug(`task event not published (${error.message}); subscribers poll`));
  }
}
