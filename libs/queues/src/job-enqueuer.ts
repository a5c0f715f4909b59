import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { raceTimeout } from '@vulnzero/async';
import { DomainError } from '@vulnzero/http';
import { JobName, JobPayloads, queueOf } from './queue-names';

/** Redis did not take the job: answered 503, and the caller records nothing as started. */
export class QueueUnavailableError extends DomainError {
  constructor(
    readonly queue: string,
    cause: unknown,
  ) {
    super(503, `queue ${queue} is unavailable: ${(cause as Error)?.message ?? String(cause)}`, { dependency: 'redis' });
  }
}

export const JOB_ATTEMPTS = 8;

/** The id of a task's job for one occasion ('start' for its first run). */
export function jobIdFor(job: JobName, taskId: string, occasion = 'start'): string {
  return `${job}-${taskId}-${occasion}`.replace(/[^A-Za-z0-9_.-]/g, '-');
}
const ENQUEUE_TIMEOUT_MS = 3000;

/**
 * The single place that builds job options. The job id is derived from the
 * task id, so enqueueing the same task twice (a retry, a reconciler pass) is a
 * no-op in BullMQ instead of a duplicate run.
 */
@Injectable()
export class JobEnqueuer {
  private readonly queues: Record<string, Queue>;

  constructor(@InjectQueue('scan') scan: Queue, @InjectQueue('deploy') deploy: Queue, @InjectQueue('rollback') rollback: Queue) {
    this.queues = { scan, deploy, rollback };
  }

  /**
   * `occasion` tells apart later runs of the same task (a promote or a cancel
   * resumes a paused deployment with a new job); the same occasion twice is one job.
   */
  async enqueue<J extends JobName>(job: J, payload: JobPayloads[J] & { taskId: string }, occasion = 'start'): Promise<string> {
    const queue = this.queues[queueOf(job)];
    const jobId = jobIdFor(job, payload.taskId, occasion);
    try {
      // BullMQ's connection waits for Redis forever (that is what lets workers
      // ride out a restart); a request must not, so adding has a deadline.
      await raceTimeout(
        queue.add(job, payload, {
          jobId,
          // A run that fails for an outside reason (PostgreSQL or an SSH layer
          // down) is retried with backoff and resumes from the record.
          attempts: JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: 2000 },
          removeOnComplete: { age: 24 * 3600, count: 10000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        }),
        ENQUEUE_TIMEOUT_MS,
        () => new Error(`no answer from Redis within ${ENQUEUE_TIMEOUT_MS} ms`),
      );
    } catch (error) {
      throw new QueueUnavailableError(queue.name, error);
    }
    return jobId;
  }

  queue(name: string): Queue | undefined {
    return this.queues[name];
  }
}
